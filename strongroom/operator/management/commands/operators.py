"""`python -m strongroom operators add|remove|list [EMAIL]`: who runs the installation."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from strongroom.audit.actors import operator
from strongroom.operator.models import Operator
from strongroom.operator.operators import do_add_operator, do_remove_operator, find_user


class Command(BaseCommand):
    help = "Make a staff user an installation operator, stop it, or list the operators."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("add", help="make a staff user an operator").add_argument("email")
        sub.add_parser("remove", help="an operator no longer (ends their support access)").add_argument(
            "email"
        )
        sub.add_parser("list", help="list the operators")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for found in Operator.objects.select_related("user").order_by("created_at"):
                self.stdout.write(
                    f"{found.user.email}\tsince {found.created_at:%Y-%m-%d}\tby {found.created_by}"
                )
            return
        try:
            user = find_user(options["email"])
            if action == "add":
                do_add_operator(user, operator(f"operators {action}"))
            else:
                do_remove_operator(user, operator(f"operators {action}"))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"user {user.pk} {'is now' if action == 'add' else 'is no longer'} an operator")
