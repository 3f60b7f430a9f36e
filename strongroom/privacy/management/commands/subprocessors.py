"""`strongroom subprocessors list|announce-add|announce-change|announce-retire|objections`.

The operator's side of Art. 28(2): announce changes of the sub-processor list (each e-mailed to every
workspace's owners) and read the workspaces' objections. See strongroom/privacy/subprocessors.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from django.utils import timezone

from strongroom.audit.actors import operator
from strongroom.privacy import subprocessors
from strongroom.privacy.models import SubProcessor, SubProcessorChange, SubProcessorObjection
from strongroom.privacy.subprocessors import Details, Kind


def _announcement_options(parser: CommandParser) -> None:
    parser.add_argument("--summary", required=True, help="one sentence for the owners: what changes and why")
    parser.add_argument(
        "--effective", required=True, metavar="YYYY-MM-DD",
        help=(
            f"the day it takes effect: {subprocessors.NOTICE_DAYS} days ahead at least, once a "
            "workspace exists"
        ),
    )


def _category_option(parser: CommandParser) -> None:
    parser.add_argument(
        "--category", action="append", dest="categories", metavar="CODE",
        help="a data map category it receives (repeat for several), e.g. user.contact.email",
    )


class Command(BaseCommand):
    help = "Publish the operator's sub-processors and announce their changes to every workspace's owners."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="the sub-processors in effect and the announced changes")
        add = sub.add_parser("announce-add", help="announce a new sub-processor")
        add.add_argument("name")
        add.add_argument("--purpose", required=True)
        add.add_argument("--location", required=True, help="where it keeps the data: country or region")
        add.add_argument("--safeguards", required=True, help='e.g. "within the EU", "SCCs (2021/914)"')
        _category_option(add)
        _announcement_options(add)
        change = sub.add_parser(
            "announce-change", help="announce new values for a sub-processor (from the effective date)"
        )
        change.add_argument("subprocessor", help="its name or id, as `subprocessors list` prints them")
        change.add_argument("--name")
        change.add_argument("--purpose")
        change.add_argument("--location")
        change.add_argument("--safeguards")
        _category_option(change)
        _announcement_options(change)
        retire = sub.add_parser("announce-retire", help="announce that a sub-processor will stop being used")
        retire.add_argument("subprocessor", help="its name or id, as `subprocessors list` prints them")
        _announcement_options(retire)
        objections = sub.add_parser("objections", help="the workspaces' objections, newest first")
        objections.add_argument("--change", help="only those to this change (its id)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            getattr(self, "do_" + action.replace("-", "_"))(options)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    def do_list(self, options: dict[str, Any]) -> None:
        rows = subprocessors.current()
        self.stdout.write(f"in effect today ({timezone.localdate().isoformat()}): {len(rows)}")
        for row in rows:
            until = f" until {row.retired_on.isoformat()}" if row.retired_on else ""
            self.stdout.write(
                f"{row.pk}  {row.name}  purpose: {row.purpose}; location: {row.location}; "
                f"safeguards: {row.safeguards}; categories: {', '.join(row.data_categories) or '-'}; "
                f"since {row.effective_from.isoformat()}{until}"
            )
        changes = subprocessors.upcoming_changes()
        counts = dict(
            SubProcessorObjection.objects.filter(change__in=changes).values_list("change")
            .annotate(n=Count("id")).values_list("change", "n")
        )
        self.stdout.write(f"announced changes: {len(changes)}")
        for c in changes:
            self.stdout.write(
                f"{c.pk}  {c.effective_on.isoformat()}  {c.kind}  {c.subprocessor.name}  "
                f"({counts.get(c.pk, 0)} objection(s))  {c.summary}"
            )

    def do_announce_add(self, options: dict[str, Any]) -> None:
        details = Details(
            options["name"], options["purpose"], options["location"], options["safeguards"],
            tuple(options["categories"] or ()),
        )
        change = subprocessors.do_announce(
            operator("subprocessors announce-add"), kind=Kind.ADDED, details=details,
            summary=options["summary"], effective_on=_date(options["effective"]),
        )
        self._announced(change)

    def do_announce_change(self, options: dict[str, Any]) -> None:
        row = _subprocessor(options["subprocessor"])
        old = Details.of(row)
        categories = options["categories"]
        details = Details(
            options["name"] if options["name"] is not None else old.name,
            options["purpose"] if options["purpose"] is not None else old.purpose,
            options["location"] if options["location"] is not None else old.location,
            options["safeguards"] if options["safeguards"] is not None else old.safeguards,
            tuple(categories) if categories is not None else old.data_categories,
        )
        change = subprocessors.do_announce(
            operator("subprocessors announce-change"), kind=Kind.CHANGED, subprocessor=row,
            details=details, summary=options["summary"], effective_on=_date(options["effective"]),
        )
        self._announced(change)

    def do_announce_retire(self, options: dict[str, Any]) -> None:
        change = subprocessors.do_announce(
            operator("subprocessors announce-retire"), kind=Kind.RETIRED,
            subprocessor=_subprocessor(options["subprocessor"]), summary=options["summary"],
            effective_on=_date(options["effective"]),
        )
        self._announced(change)

    def _announced(self, change: SubProcessorChange) -> None:
        self.stdout.write(
            f"change {change.pk} announced: {change.subprocessor.name} {change.kind} on "
            f"{change.effective_on.isoformat()}; the owners of every workspace are e-mailed"
        )

    def do_objections(self, options: dict[str, Any]) -> None:
        found = SubProcessorObjection.objects.select_related("change__subprocessor", "workspace")
        if options["change"]:
            found = found.filter(change_id=_uuid(options["change"], "change"))
        listed = list(found.order_by("-created_at"))
        if not listed:
            self.stdout.write("no objections")
        for o in listed:
            reason = " ".join(o.reason.split()) or "(no grounds given)"
            self.stdout.write(
                f"{o.created_at:%Y-%m-%d %H:%M} UTC  change {o.change_id} ({o.change.subprocessor.name} "
                f"{o.change.kind} on {o.change.effective_on.isoformat()})  workspace {o.workspace_id} "
                f"({o.workspace.name}): {reason}"
            )


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--effective must be a date written YYYY-MM-DD, not {value!r}") from None


def _uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a {what} id; `subprocessors list` prints them") from None


def _subprocessor(value: str) -> SubProcessor:
    """A sub-processor by id, or by name: the one not being retired, else the one retiring later."""
    try:
        by_id = SubProcessor.objects.filter(pk=UUID(value)).first()
    except ValueError:
        by_id = None
    if by_id is not None:
        return by_id
    named = SubProcessor.objects.filter(name__iexact=value.strip())
    for candidates in (
        list(named.filter(retired_on__isnull=True)),
        list(named.filter(retired_on__gt=timezone.localdate())),
    ):
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            ids = ", ".join(str(s.pk) for s in candidates)
            raise CommandError(f"several sub-processors are named {value!r}; give one of their ids: {ids}")
    raise CommandError(f"no sub-processor {value!r} is on the list; `subprocessors list` shows the ids")

