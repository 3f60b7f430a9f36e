"""`strongroom templates install`: write the shipped checklists into the database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from strongroom.audit.actors import operator
from strongroom.collection.checklists import install_shipped_templates
from strongroom.crypto import keys


class Command(BaseCommand):
    help = "Manage the checklist templates Strongroom ships to every workspace."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("install", help="create or update the shipped templates (safe to run again)")

    def handle(self, *args: Any, **options: Any) -> None:
        keys.ensure_master_key()  # the audit event is sealed into the installation's chain
        count = install_shipped_templates(operator(f"templates {options['action']}"))
        self.stdout.write(f"{count} shipped template(s) installed or updated")
