from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from strongroom.accounts.actions import do_create_workspace
from strongroom.accounts.models import User
from strongroom.audit.actors import operator
from strongroom.crypto import keys


class Command(BaseCommand):
    help = "Create workspaces."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a workspace with its first owner")
        create.add_argument("name")
        create.add_argument("--owner", required=True, help="e-mail of an existing staff user")

    def handle(self, *args: Any, **options: Any) -> None:
        keys.ensure_master_key()
        owner = User.objects.with_email(options["owner"]).first()
        if owner is None:
            raise CommandError(f"no staff user has the e-mail {options['owner']}; create it first")
        try:
            workspace = do_create_workspace(options["name"], owner, operator("workspaces create"))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"workspace {workspace.pk} created")
