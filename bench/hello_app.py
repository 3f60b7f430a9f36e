"""Baseline for bench_dashboard.py: a bare "hello" Django view. Not product code.

A minimal Django (settings configured here: no database, no middleware, no templates) with one view
answering "hello". Served by granian exactly as Strongroom is (`python -m granian ...
bench.hello_app:app`), it measures the floor of server + framework per request.
"""

from __future__ import annotations

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-not-a-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
)


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [path("", hello)]

app = get_wsgi_application()
