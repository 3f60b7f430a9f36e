"""Staff access to received files: inline preview, download, and all files of a request as one ZIP
streamed as it is read (nothing is assembled in memory or written to disk in plaintext)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from zipstream import ZipStream

from strongroom.audit.actions import record
from strongroom.collection.access import request_for, upload_for
from strongroom.collection.models.requests import UploadState
from strongroom.vault.actions import read_blob
from strongroom.vault.responses import blob_response


@login_required
def upload_file(request: HttpRequest, workspace_id: Any, upload_id: Any) -> StreamingHttpResponse:
    upload = upload_for(request.user, workspace_id, upload_id)  # type: ignore[arg-type]
    return blob_response(upload.blob, actor=request.user, as_attachment="download" in request.GET)


def _entries(req: Any) -> Iterator[tuple[str, Any]]:
    seen: set[str] = set()
    items = (
        req.items.select_related("section")
        .prefetch_related("uploads__blob")
        .order_by("section__position", "position")
    )
    for n, item in enumerate(items, start=1):
        for upload in item.uploads.all():
            if upload.state == UploadState.REJECTED:
                continue
            name = f"{n:02d} {slugify(item.label)[:60]}/{upload.blob.meta['name']}"
            while name in seen:
                name = name.replace("/", "/copy-", 1)
            seen.add(name)
            yield name, upload.blob


@login_required
def request_zip(request: HttpRequest, workspace_id: Any, request_id: Any) -> StreamingHttpResponse:
    req = request_for(request.user, workspace_id, request_id)  # type: ignore[arg-type]
    entries = list(_entries(req))
    with transaction.atomic():
        record(
            request.user, "request.files_downloaded", req, subject=req.client.subject_id, files=len(entries)
        )
    archive = ZipStream(sized=False)
    for name, blob in entries:
        archive.add(read_blob(blob), arcname=name)
    response = StreamingHttpResponse(archive, content_type="application/zip")
    filename = f"{slugify(req.title) or 'request'}.zip"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response
