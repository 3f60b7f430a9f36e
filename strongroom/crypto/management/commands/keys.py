"""`strongroom keys init|status|rotate|retire|destroy-subject|bind-subjects|sweep-secrets`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from strongroom.audit.actors import operator
from strongroom.crypto import keys
from strongroom.crypto.errors import CryptoError
from strongroom.crypto.models import Keyring, SubjectKey
from strongroom.crypto.providers import get_provider
from strongroom.crypto.subject_secrets import secret_store


class Command(BaseCommand):
    help = "Manage the master key and the key hierarchy."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("init", help="create the first master key (done by `serve` on first start)")
        sub.add_parser("status", help="show master keys and check that every workspace key opens")
        rotate = sub.add_parser("rotate", help="create a new master key and re-wrap workspace keys")
        rotate.add_argument("--resume", action="store_true",
                            help="only finish re-wrapping after an interrupted rotation")
        retire = sub.add_parser("retire", help="destroy an old master key no workspace key uses")
        retire.add_argument("key_id")
        destroy = sub.add_parser("destroy-subject", help="crypto-shred one data subject's key")
        destroy.add_argument("subject_id")
        destroy.add_argument("--reason", default="")
        bind = sub.add_parser("bind-subjects",
                              help="bind subjects made before subject secrets to a secret (resumable)")
        bind.add_argument("--batch-size", type=int, default=100)
        sweep = sub.add_parser("sweep-secrets", help="delete subject secrets no live subject needs")
        sweep.add_argument("--grace-hours", type=float, default=24.0,
                           help="keep secrets without a subject row younger than this (default 24)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = operator(f"keys {options['action']}")
        try:
            getattr(self, "do_" + options["action"].replace("-", "_"))(actor, options)
        except CryptoError as exc:
            raise CommandError(str(exc)) from exc

    def do_init(self, actor: Any, options: dict[str, Any]) -> None:
        existed = get_provider().current_key_id()
        key_id = keys.ensure_master_key()
        state = "already exists" if existed else "created"
        self.stdout.write(f"master key {key_id} {state} ({get_provider().describe()})")

    def do_status(self, actor: Any, options: dict[str, Any]) -> None:
        provider = get_provider()
        current = provider.current_key_id()
        self.stdout.write(f"provider: {provider.describe()}")
        usage = dict(
            Keyring.objects.exclude(wrapped_key=None).values_list("master_key_id")
            .annotate(n=Count("id")).values_list("master_key_id", "n")
        )
        for key_id in provider.key_ids():
            mark = " (current)" if key_id == current else ""
            self.stdout.write(f"master key {key_id}{mark}: wraps {usage.get(key_id, 0)} workspace key(s)")
        destroyed = SubjectKey.objects.filter(wrapped_key=None).count()
        self.stdout.write(f"subjects: {SubjectKey.objects.count()} ({destroyed} erased)")
        problems = keys.verify_keyrings()
        missing = self._secret_status()
        for problem in problems:
            self.stdout.write(f"PROBLEM: {problem}")
        if problems:
            raise CommandError(f"{len(problems)} workspace key(s) cannot be opened")
        if missing:
            raise CommandError(f"{missing} subject secret(s) are missing from {secret_store().root}")

    def _secret_status(self) -> int:
        """Print the subject secret store's census; return how many live subjects lack their secret."""
        census = keys.subject_secret_census()
        leftovers = census.orphaned + census.temporary
        self.stdout.write(
            f"{secret_store().describe()}: {census.held} held, {len(census.missing)} missing, "
            f"{census.orphaned} orphaned" + (f", {census.temporary} temporary" if census.temporary else "")
            + (" (`keys sweep-secrets` deletes orphans)" if leftovers else "")
        )
        self.stdout.write(
            f"subjects not yet bound to a secret: {census.unbound}"
            + (" (run `keys bind-subjects`)" if census.unbound else "")
        )
        for subject_id in census.missing[:20]:
            self.stdout.write(f"PROBLEM: subject {subject_id} is live but its secret is missing")
        if census.missing:
            self.stdout.write(
                "PROBLEM: the subjects/ folder of the key folder is incomplete; restore it from the "
                "newest key-folder backup"
            )
        return len(census.missing)

    def do_rotate(self, actor: Any, options: dict[str, Any]) -> None:
        report = keys.rewrap_keyrings(actor) if options["resume"] else keys.rotate_master_key(actor)
        self.stdout.write(
            f"current master key {report.new_key_id}: re-wrapped {report.rewrapped} workspace "
            f"key(s), {report.remaining} left"
        )
        if report.remaining:
            raise CommandError("rotation incomplete; run `keys rotate --resume`")

    def do_retire(self, actor: Any, options: dict[str, Any]) -> None:
        keys.retire_master_key(options["key_id"], actor)
        self.stdout.write(f"master key {options['key_id']} destroyed")

    def do_destroy_subject(self, actor: Any, options: dict[str, Any]) -> None:
        try:
            subject = SubjectKey.objects.get(pk=UUID(options["subject_id"]))
        except (ValueError, SubjectKey.DoesNotExist):
            raise CommandError(f"no subject {options['subject_id']}") from None
        keys.destroy_subject_key(subject, actor, reason=options["reason"])
        self.stdout.write(f"subject {subject.pk}: key destroyed; their data can no longer be read")
        if secret_store().path(subject.pk).exists():
            self.stderr.write(
                f"WARNING: the secret {secret_store().path(subject.pk)} could not be deleted (see the "
                "log); database backups taken before now still open this subject until it is. "
                "Run `keys sweep-secrets`"
            )

    def do_bind_subjects(self, actor: Any, options: dict[str, Any]) -> None:
        report = keys.bind_subject_secrets(actor, batch_size=max(1, options["batch_size"]))
        self.stdout.write(f"bound {report.bound} subject(s) to a secret, {report.remaining} left")
        if report.remaining:
            raise CommandError("binding incomplete; run `keys bind-subjects` again")

    def do_sweep_secrets(self, actor: Any, options: dict[str, Any]) -> None:
        grace = timedelta(hours=max(0.0, options["grace_hours"]))
        report = keys.sweep_subject_secrets(actor, grace=grace)
        self.stdout.write(
            f"deleted {report.erased} secret(s) of erased subjects and {report.abandoned} abandoned "
            f"file(s); kept {report.kept_recent} recent secret(s) without a subject (younger than "
            f"{options['grace_hours']:g} h: perhaps a subject being created)"
        )
