"""The request being served, so events record the caller's IP without every call passing it down."""

from __future__ import annotations

from contextvars import ContextVar

current_ip: ContextVar[str | None] = ContextVar("strongroom_request_ip", default=None)
