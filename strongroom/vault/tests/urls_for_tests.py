"""Tiny views that take uploads the way real views must (see vault.uploads), for test_uploads.

Query parameters choose the target: `user`, `workspace`, `max_size`, `max_files`, `kind` (repeated),
or `target=none` for a view that sets no target.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from strongroom.accounts.models import User, Workspace
from strongroom.audit.actors import operator
from strongroom.vault.uploads import (
    SealedUploadedFile,
    UploadTarget,
    abort_unfinished,
    sealed_uploads,
    set_upload_target,
    upload_errors,
)

ACTOR = operator("upload-test")


def target_from_query(request: HttpRequest) -> UploadTarget | None:
    if request.GET.get("target") == "none":
        return None
    return UploadTarget(
        subject=User.objects.get(pk=request.GET["user"]).subject,
        workspace=Workspace.objects.get(pk=request.GET["workspace"]),
        max_size=int(request.GET.get("max_size", 10 * 1024 * 1024)),
        max_files=int(request.GET.get("max_files", 5)),
        accepted_kinds=tuple(request.GET.getlist("kind")),
    )


def answer(request: HttpRequest) -> HttpResponse:
    """Keep every file, unless some were refused or the form says `fail`: then keep none."""
    files = [f for f in request.FILES.getlist("files") if isinstance(f, SealedUploadedFile)]
    errors = upload_errors(request)
    summary = {
        "errors": [{"code": e.code, "message": e.message, "name": e.file_name} for e in errors],
        "received": [{"name": f.name, "kind": f.kind, "size": f.size, "type": f.content_type}
                     for f in files],
        "fields": {key: request.POST.getlist(key) for key in request.POST},
    }
    if errors or request.POST.get("fail"):
        return JsonResponse(summary, status=400)
    summary["stored"] = [str(f.finish(actor=ACTOR, audit_extra={"test": True}).pk) for f in files]
    return JsonResponse(summary)


@csrf_exempt
def by_hand(request: HttpRequest) -> HttpResponse:
    """The contract written out: target first, then the body, and `abort_unfinished` at the end."""
    try:
        set_upload_target(request, target_from_query(request))
        return answer(request)
    finally:
        abort_unfinished(request)


@sealed_uploads(target_from_query)
def decorated(request: HttpRequest) -> HttpResponse:
    return answer(request)


def behind_csrf_middleware(request: HttpRequest) -> HttpResponse:
    """Wrong: CsrfViewMiddleware reads the body before this view can set a target (which raises)."""
    try:
        set_upload_target(request, target_from_query(request))
        return answer(request)
    finally:
        abort_unfinished(request)


@csrf_exempt
def forgetful(request: HttpRequest) -> HttpResponse:
    """Wrong too: reads the files, never finishes nor aborts them (Django closes them afterwards)."""
    set_upload_target(request, target_from_query(request))
    return JsonResponse({"received": len(request.FILES.getlist("files"))})


def token(request: HttpRequest) -> HttpResponse:
    return HttpResponse(get_token(request))


urlpatterns = [
    path("by-hand", by_hand),
    path("decorated", decorated),
    path("behind-csrf-middleware", behind_csrf_middleware),
    path("forgetful", forgetful),
    path("token", token),
]
