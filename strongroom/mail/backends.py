"""The embedded default mailer: every message sealed into the outbox folder, never sent anywhere.

Configured in MAILERS as ``{"BACKEND": "strongroom.mail.backends.SealedOutboxBackend",
"OPTIONS": {"folder": "/path/to/outbox"}}``; read the outbox with `python -m strongroom outbox`.
The file format is described in `strongroom.mail.outbox`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.mail import InvalidMailer
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

from strongroom.mail import outbox

log = logging.getLogger(__name__)


class SealedOutboxBackend(BaseEmailBackend):
    """Writes one sealed file per message. OPTIONS: `folder` (required), `fail_silently`.

    `send_messages` returns how many messages were written. With `fail_silently` a message that
    cannot be written is logged by error type only (messages of errors such as BadHeaderError quote
    header values, which are personal data) and skipped; otherwise the error is raised.
    """

    alias: str | None  # set by BaseEmailBackend (missing from django-stubs)

    def __init__(
        self, *, folder: str | Path | None = None, fail_silently: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if not folder:
            raise InvalidMailer("OPTIONS must define 'folder'.", alias=self.alias)
        self.folder = Path(folder).resolve()
        self.fail_silently = fail_silently

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        messages = [m for m in email_messages if m.recipients()]
        if not messages:
            return 0
        try:
            outbox.ensure_folder(self.folder)
            key = outbox.outbox_key()
        except Exception as exc:
            if not self.fail_silently:
                raise
            log.error("outbox unavailable (%s): %d message(s) not written", type(exc).__name__, len(messages))
            return 0
        sent = 0
        for message in messages:
            try:
                outbox.write_sealed(self.folder, message.message().as_bytes(), key)
            except Exception as exc:
                if not self.fail_silently:
                    raise
                log.error("a message could not be written to the outbox (%s)", type(exc).__name__)
                continue
            sent += 1
        return sent
