"""`strongroom records`: the records of processing (Art. 30) as the operator hands them over.

    records processor --format pdf --output record.pdf       the operator's record (Art. 30(2))
    records controller WORKSPACE_ID --format xlsx --output -  a workspace's record (Art. 30(1))

Every mandatory field still empty is listed on standard error; `--strict` makes that an error
(exit status 1), for a check in a deployment pipeline.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from strongroom.audit.actions import record as audit
from strongroom.audit.actors import operator
from strongroom.privacy import records

FORMATS = {"xlsx": records.to_xlsx, "csv": records.to_csv, "pdf": records.to_pdf}


class Command(BaseCommand):
    help = "Write a record of processing activities (Art. 30) as XLSX, CSV or PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="which", required=True)
        for name, help_text in (
            ("processor", "the operator's record, for every workspace (Art. 30(2))"),
            ("controller", "one workspace's record (Art. 30(1))"),
        ):
            command = sub.add_parser(name, help=help_text)
            if name == "controller":
                command.add_argument("workspace", help="the workspace's id")
            command.add_argument("--format", choices=sorted(FORMATS), default="pdf")
            command.add_argument("--output", required=True, help="a file to write, or - for standard output")
            command.add_argument(
                "--strict", action="store_true", help="exit 1 when a mandatory field is empty"
            )

    def handle(self, *args: Any, **options: Any) -> None:
        from strongroom.accounts.models import Workspace

        if options["which"] == "controller":
            try:
                workspace = Workspace.objects.get(pk=uuid.UUID(options["workspace"]))
            except (ValueError, Workspace.DoesNotExist):
                raise CommandError(f"There is no workspace {options['workspace']!r}.") from None
            record = records.controller_record(workspace)
            target: Any = workspace
        else:
            record = records.processor_record()
            target = None
        data = FORMATS[options["format"]](record)
        output = options["output"]
        if output == "-":
            sys.stdout.buffer.write(data)
        else:
            path = Path(output)
            if not path.parent.is_dir():
                raise CommandError(f"The folder {path.parent} does not exist.")
            path.write_bytes(data)
        with transaction.atomic():
            audit(
                operator("records"),
                "records.exported",
                target,
                kind=record.kind,
                format=options["format"],
                missing=len(record.problems()),
            )
        for problem in record.problems():
            self.stderr.write(f"missing: {problem}")
        if options["strict"] and record.problems():
            raise CommandError(f"{len(record.problems())} mandatory field(s) of the record are empty.")
