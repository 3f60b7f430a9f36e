"""`strongroom audit verify [CHAIN ...]`: check the hash chains and name the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from strongroom.audit.chain import all_chains, verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chains (one per workspace, plus the installation's)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="verify chains; exit status 1 if any is broken")
        verify.add_argument("chains", nargs="*", help="workspace ids or 'installation' (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        chains = options["chains"] or all_chains()
        broken = 0
        for chain in chains:
            report = verify_chain(chain)
            if report.ok:
                self.stdout.write(f"chain {chain}: {report.events} events, intact")
            else:
                broken += 1
                self.stdout.write(f"chain {chain}: BROKEN: {report.problem}")
        if broken:
            raise CommandError(f"{broken} of {len(chains)} audit chain(s) are broken")
