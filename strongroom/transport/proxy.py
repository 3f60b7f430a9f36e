"""Behind a reverse proxy every request comes from the proxy's address. When the operator names the
header by which their proxy passes the client's address, the address it appended (the last one:
anything before it came from the client and may be forged) becomes REMOTE_ADDR, so the sign-in
throttle, the audit log and the staff sessions see the person, not the proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def forwarded_client(value: str) -> str | None:
    """The address the proxy appended to a header such as X-Forwarded-For, if it is one."""
    last = value.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return None


class ForwardedClientMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        header = getattr(settings, "PROXY_CLIENT_IP_HEADER", "")
        self.meta_key = "HTTP_" + header.upper().replace("-", "_") if header else ""

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.meta_key:
            client = forwarded_client(request.META.get(self.meta_key, ""))
            if client is not None:
                request.META["REMOTE_ADDR"] = client
        return self.get_response(request)
