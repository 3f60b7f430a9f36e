"""Serving a sealed file to someone allowed to see it: streamed, opened chunk by chunk, audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

from strongroom.audit.actions import record
from strongroom.vault.actions import read_blob
from strongroom.vault.models import Blob

INLINE_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp"}


def blob_response(blob: Blob, *, actor: Any, as_attachment: bool) -> StreamingHttpResponse:
    """The file's plaintext as a streamed response; the view or download is recorded first."""
    meta = blob.meta
    content_type = str(meta.get("content_type") or "application/octet-stream")
    inline = not as_attachment and content_type in INLINE_TYPES
    with transaction.atomic():
        record(
            actor,
            "blob.viewed" if inline else "blob.downloaded",
            blob,
            subject=blob.subject_id,
            workspace=blob.workspace_id,
        )
    response = StreamingHttpResponse(
        read_blob(blob), content_type=content_type if inline else "application/octet-stream"
    )
    response["Content-Length"] = str(blob.size)
    disposition = content_disposition_header(not inline, str(meta.get("name", "file")))
    response["Content-Disposition"] = disposition or ""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # A document shown inline runs no script and reaches nothing, whatever it contains.
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    return response
