"""Baseline for bench_upload.py: plain Django receiving an upload UNENCRYPTED. Not product code.

A minimal Django (settings configured here, no database, no middleware) with Django's default
upload handlers: a body this large goes through `TemporaryFileUploadHandler`, which writes the
plaintext to a temporary file in BENCH_UPLOAD_DIR/tmp. The view moves each file into
BENCH_UPLOAD_DIR and fsyncs it (Strongroom fsyncs each sealed blob before keeping it), then answers
JSON. Served by granian exactly as Strongroom is: `python -m granian ... bench.plain_upload:app`.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

UPLOAD_DIR = Path(os.environ.get("BENCH_UPLOAD_DIR", "/tmp/bench-plain-upload"))
(UPLOAD_DIR / "tmp").mkdir(parents=True, exist_ok=True)

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-not-a-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    FILE_UPLOAD_TEMP_DIR=str(UPLOAD_DIR / "tmp"),
    USE_TZ=True,
)


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
def receive(request: HttpRequest) -> HttpResponse:
    kept = []
    for uploaded in request.FILES.getlist("files"):
        target = UPLOAD_DIR / f"{uuid.uuid4().hex}.bin"
        temporary = getattr(uploaded, "temporary_file_path", None)
        if temporary is not None:  # TemporaryUploadedFile: move it, as FileSystemStorage would
            os.replace(temporary(), target)
            assert uploaded.file is not None
            uploaded.file.flush()
            os.fsync(uploaded.file.fileno())
        else:  # a small file kept in memory
            with target.open("wb") as out:
                for chunk in uploaded.chunks():
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        kept.append({"name": uploaded.name, "size": uploaded.size, "stored": target.name})
        uploaded.close()
    return JsonResponse({"ok": bool(kept), "files": kept})


urlpatterns = [path("", health), path("upload/", receive)]

app = get_wsgi_application()
