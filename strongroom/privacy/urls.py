"""Compliance pages: the record of processing, retention, breaches and sub-processors."""

from __future__ import annotations

from typing import Any

from strongroom.privacy.views import breaches, records, retention, subprocessors

app_name = "compliance"

urlpatterns: list[Any] = [
    *records.urlpatterns,
    *retention.urlpatterns,
    *breaches.urlpatterns,
    *subprocessors.urlpatterns,
]
