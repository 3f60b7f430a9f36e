"""`strongroom worker`: runs queued tasks (e-mails) and the periodic jobs (reminders, clean-ups)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from strongroom.jobs.periodic import run_due_jobs


class Command(BaseCommand):
    help = "Run background tasks and periodic jobs until stopped (or once, with --once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is due, drain the queue, exit")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            for line in run_due_jobs():
                self.stdout.write(line)
            call_command(
                "db_worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*", verbosity=0
            )
            if options["once"]:
                return
            time.sleep(options["interval"])
