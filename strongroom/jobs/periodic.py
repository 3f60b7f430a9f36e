"""Periodic jobs and the claim that lets exactly one worker run each of them per period."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from strongroom.jobs.models import PeriodicRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[], str]


def _reminders() -> str:
    from strongroom.collection.reminders import send_due_reminders

    return f"{send_due_reminders()} reminder(s) queued"


def _sweep_incoming() -> str:
    from strongroom.vault.writer import sweep_incoming

    return f"{sweep_incoming(timedelta(hours=6))} abandoned upload(s) removed"


def _sweep_subject_secrets() -> str:
    from strongroom.audit.actors import SYSTEM
    from strongroom.crypto.keys import sweep_subject_secrets

    return str(sweep_subject_secrets(SYSTEM))


def _retention_purge() -> str:
    from strongroom.privacy.retention import run_daily_purge

    return run_daily_purge()


def _retention_warnings() -> str:
    from strongroom.privacy.retention import warn_upcoming_purges

    return warn_upcoming_purges()


def _rights_deadlines() -> str:
    from strongroom.rights.warnings import send_deadline_warnings

    return f"{send_deadline_warnings()} rights deadline warning(s) queued"


def _expired_packages() -> str:
    from strongroom.rights.packages import erase_expired_packages

    return f"{erase_expired_packages()} expired access package(s) erased"


JOBS = (
    Job("reminders", timedelta(minutes=15), _reminders),
    Job("rights-deadlines", timedelta(hours=1), _rights_deadlines),
    Job("expired-packages", timedelta(hours=1), _expired_packages),
    Job("sweep-subject-secrets", timedelta(hours=1), _sweep_subject_secrets),
    Job("retention-purge", timedelta(days=1), _retention_purge),
    Job("retention-warnings", timedelta(days=1), _retention_warnings),
    Job("sweep-incoming", timedelta(hours=1), _sweep_incoming),
)


def claim(job: Job) -> bool:
    """True for the one worker that gets to run `job` now."""
    now = timezone.now()
    PeriodicRun.objects.get_or_create(name=job.name)
    claimed = PeriodicRun.objects.filter(
        Q(last_started_at__isnull=True) | Q(last_started_at__lte=now - job.every), name=job.name
    ).update(last_started_at=now)
    return claimed == 1


def run_due_jobs() -> list[str]:
    """Run every job whose period has passed; a failing job is logged and does not stop the others."""
    results = []
    for job in JOBS:
        if not claim(job):
            continue
        try:
            result = job.run()
        except Exception:
            log.exception("periodic job %s failed", job.name)
            result = "failed"
        PeriodicRun.objects.filter(name=job.name).update(last_result=result[:200])
        results.append(f"{job.name}: {result}")
    return results
