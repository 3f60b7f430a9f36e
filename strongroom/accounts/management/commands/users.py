"""`strongroom users create EMAIL` and `strongroom workspaces create NAME --owner EMAIL`."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from strongroom.accounts.actions import do_create_user
from strongroom.audit.actors import operator
from strongroom.crypto import keys


def read_password(options: dict[str, Any]) -> str | None:
    if options.get("password_file"):
        return Path(options["password_file"]).read_text(encoding="utf-8").rstrip("\r\n")
    if options.get("no_password"):
        return None
    if not sys.stdin.isatty():
        raise CommandError("give --password-file or --no-password when not at a terminal")
    return getpass.getpass("Password: ")


class Command(BaseCommand):
    help = "Create staff users."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a staff user")
        create.add_argument("email")
        create.add_argument("--name", default="")
        create.add_argument("--password-file", help="file holding the password")
        create.add_argument("--no-password", action="store_true", help="no password sign-in")

    def handle(self, *args: Any, **options: Any) -> None:
        keys.ensure_master_key()
        try:
            user = do_create_user(options["email"], read_password(options), operator("users create"),
                                  name=options["name"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"user {user.pk} created")
