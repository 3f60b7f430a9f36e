"""Baselines for bench_dashboard.py: a bare "hello" Django view, and a page of one template and one
query. Not product code.

A minimal Django (settings configured here: no middleware, SQLite in memory) with two views: "/"
answers "hello"; "/one-query/" runs one SQL query and renders its row through a Django template. Served
by granian exactly as Strongroom is (`python -m granian ... bench.hello_app:app`), "/" measures the
floor of server + framework per request, and "/one-query/" the page the dashboard target was set
against ("what a template with one query reaches here").
"""

from __future__ import annotations

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-not-a-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}],
)


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello", content_type="text/plain")


PAGE = """<!doctype html><html lang="en"><head><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1><p>{{ row.0 }} · {{ row.1 }}</p></body></html>"""


def one_query(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s, %s", ["hello", 42])
        row = cursor.fetchone()
    page = engines["django"].from_string(PAGE)
    return HttpResponse(page.render({"title": "One query", "row": row}, request))


urlpatterns = [path("", hello), path("one-query/", one_query)]

app = get_wsgi_application()
