from __future__ import annotations

from django.db import models

from strongroom.privacy.datamap import DataMap


class PeriodicRun(models.Model):
    """When each periodic job last started: claimed with a conditional UPDATE, so among several
    workers exactly one runs a job in each period."""

    name = models.CharField(max_length=64, primary_key=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=200, blank=True)

    data_map = DataMap(
        not_personal={
            "name": "job name",
            "last_started_at": "time",
            "last_result": "counts, never personal data",
        }
    )

    def __str__(self) -> str:
        return f"periodic job {self.name}"
