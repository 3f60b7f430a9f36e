"""Staff access to received files: inline preview, download, and all files of a request as one ZIP
streamed as it is read (nothing is assembled in memory or written to disk in plaintext)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from zipstream import ZipStream

from strongroom.audit.actions import record
from strongroom.collection.access import request_for, upload_for
from strongroom.collection.models.requests import UploadState
from strongroom.signin.reauth import recent_login_required
from strongroom.vault.actions import read_blob
from strongroom.vault.responses import blob_response


def _restricted_gate(request: HttpRequest, req: Any, what: str) -> HttpResponse | None:
    """Restricted data opens only for a use Art. 18(2) allows, given with its reason (POST), which is
    recorded; otherwise the page asking for them. None when the client's data is not restricted."""
    from strongroom.rights.forms import LawfulUseForm
    from strongroom.rights.restriction import is_restricted, record_lawful_use

    subject_id = req.client.subject_id
    if not is_restricted(subject_id):
        return None
    form = LawfulUseForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            record_lawful_use(subject_id, request.user, form.cleaned_data["purpose"],  # type: ignore[arg-type]
                              form.cleaned_data["reason"], what)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            return None
    return render(request, "rights/restricted_download.html",
                  {"workspace": req.workspace, "req": req, "form": form,
                   "restriction": True}, status=403)


@login_required
def upload_file(request: HttpRequest, workspace_id: Any, upload_id: Any) -> HttpResponseBase:
    upload = upload_for(request.user, workspace_id, upload_id)  # type: ignore[arg-type]
    refused = _restricted_gate(request, upload.item.request, f"upload:{upload.pk}")
    if refused is not None:
        return refused
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
@recent_login_required()
def request_zip(request: HttpRequest, workspace_id: Any, request_id: Any) -> HttpResponseBase:
    req = request_for(request.user, workspace_id, request_id)  # type: ignore[arg-type]
    refused = _restricted_gate(request, req, f"request_zip:{req.pk}")
    if refused is not None:
        return refused
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
