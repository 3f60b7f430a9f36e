"""`python -m strongroom breaches`: the operator records a breach for some workspaces, or lists the register.

    breaches record --workspace <id> [--workspace <id> ...] --nature TEXT --contact TEXT
                    --aware-at 2026-11-30T09:15+01:00 [--categories user.financial,user.name]
                    [--subjects N] [--records N] [--consequences TEXT] [--measures TEXT]
    breaches list

Bad input ends with exit code 1 and one sentence per problem; nothing is recorded then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from strongroom.accounts.models import Workspace
from strongroom.audit.actors import operator
from strongroom.privacy import breaches
from strongroom.privacy.models import Breach

EXAMPLE = "e.g. 2026-11-30T09:15+01:00"
NOTHING = "Nothing was recorded."


def _workspaces(ids: list[str]) -> list[Workspace]:
    found = []
    for raw in ids:
        try:
            workspace = Workspace.objects.filter(pk=UUID(raw.strip())).first()
        except ValueError:
            workspace = None
        if workspace is None:
            raise CommandError(f"No workspace has the id {raw!r}. {NOTHING}")
        found.append(workspace)
    return found


def _moment(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise CommandError(f"--aware-at {raw!r} is not an ISO date and time ({EXAMPLE}). {NOTHING}") from None
    if timezone.is_naive(moment):
        raise CommandError(f"--aware-at {raw!r} needs a time zone offset ({EXAMPLE}). {NOTHING}")
    return moment


def _count(raw: str | None, option: str) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise CommandError(f"{option} must be a whole number, not {raw!r}. {NOTHING}") from None


class Command(BaseCommand):
    help = "Record a personal data breach for some workspaces, or list the breach register."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rec = sub.add_parser("record", help="record a breach; the affected workspaces' owners are e-mailed")
        rec.add_argument(
            "--workspace", action="append", default=[], help="an affected workspace's id (repeat)"
        )
        rec.add_argument("--nature", help="what happened (no names of the people concerned)")
        rec.add_argument("--contact", help="contact point for more information")
        rec.add_argument("--aware-at", dest="aware_at", help="when it became known, ISO 8601 with an offset")
        rec.add_argument("--categories", default="", help="data category codes, comma-separated")
        rec.add_argument("--subjects", help="approximate number of people concerned")
        rec.add_argument("--records", help="approximate number of records concerned")
        rec.add_argument("--consequences", default="", help="likely consequences")
        rec.add_argument("--measures", default="", help="measures taken or proposed")
        sub.add_parser("list", help="every breach, newest first, with each workspace's standing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "record":
            self._record(options)
        else:
            self._list()

    def _record(self, options: dict[str, Any]) -> None:
        # Arguments are checked here rather than by argparse, so every mistake ends with exit code 1.
        if not options["workspace"]:
            raise CommandError(f"Name at least one affected workspace with --workspace. {NOTHING}")
        if options["aware_at"] is None:
            raise CommandError(
                f"--aware-at is required: the 72 hours run from when the breach became known. {NOTHING}"
            )
        try:
            breach = breaches.do_record_breach(
                actor=operator("breaches record"),
                affected=_workspaces(options["workspace"]),
                nature=options["nature"] or "",
                data_categories=[c for c in options["categories"].split(",") if c.strip()],
                subjects_approx=_count(options["subjects"], "--subjects"),
                records_approx=_count(options["records"], "--records"),
                consequences=options["consequences"],
                measures=options["measures"],
                contact=options["contact"] or "",
                aware_at=_moment(options["aware_at"]),
            )
        except ValidationError as exc:
            raise CommandError(" ".join([*exc.messages, NOTHING])) from exc
        count = breach.notices.count()
        self.stdout.write(
            f"breach {breach.pk} recorded for {count} workspace(s); their owners are being told"
        )

    def _list(self) -> None:
        now = timezone.now()
        found = Breach.objects.prefetch_related("notices__workspace").order_by("-aware_at", "-recorded_at")
        for breach in found:
            by = "operator" if breach.workspace_id is None else "workspace"
            nature = (breach.nature.splitlines() or [""])[0][:80]
            self.stdout.write(f"{breach.pk}  aware {breach.aware_at.isoformat()}  by {by}  {nature}")
            for notice in breach.notices.all():
                standing = breaches.countdown(notice, now).text
                self.stdout.write(f"    {notice.workspace_id}  {notice.workspace.name}: {standing}")
        if not found:
            self.stdout.write("no breach recorded")
