"""WSGI entry point. Uploads are served through WSGI: under ASGI Django spools bodies to /tmp in plaintext."""

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application
from django.utils.http import parse_header_parameters

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strongroom.settings")
_django = get_wsgi_application()

_BAD_CONTENT_TYPE = b"Bad request: the Content-Type header cannot be read.\n"


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Django's application, except that a Content-Type it cannot parse (a multipart boundary of
    100,000 characters) gets a 400: Django raises BadRequest for it before any middleware runs,
    which the server would answer with a 500."""
    try:
        parse_header_parameters(environ.get("CONTENT_TYPE", ""))
    except ValueError:
        start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8"),
                                           ("Content-Length", str(len(_BAD_CONTENT_TYPE))),
                                           ("X-Content-Type-Options", "nosniff")])
        return [_BAD_CONTENT_TYPE]
    result: Iterable[bytes] = _django(environ, start_response)
    return result
