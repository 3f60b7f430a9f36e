"""With an SMTP server configured, mail leaves through Django's SMTP backend, whole and in order."""

from __future__ import annotations

import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from strongroom.mail.outbox import body_text, find_links
from strongroom.mail.render import send_mail_in_language

pytestmark = pytest.mark.django_db

LINK = "https://portal.example/p/SMTP-LINK-TOKEN"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class CollectingHandler:
    """An aiosmtpd handler that keeps every message it is given."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else content.encode()
        parsed = BytesParser(EmailMessage, policy=email.policy.default).parsebytes(data)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp_server(settings: Any, tmp_path: Path) -> Iterator[CollectingHandler]:
    """A real SMTP server on 127.0.0.1, configured as the default mailer; stopped after the test."""
    handler = CollectingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {"default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 10},
    }}
    settings.DEFAULT_FROM_EMAIL = "Strongroom <no-reply@strongroom.example>"
    settings.OUTBOX_DIR = tmp_path / "outbox"
    try:
        yield handler
    finally:
        controller.stop()


def test_request_sent_reaches_the_smtp_server(smtp_server: CollectingHandler, tmp_path: Path) -> None:
    context = {"workspace_name": "Firm A", "client_name": "Camille Dupont", "title": "Payslips 2025",
               "message": "", "due_date": date(2026, 3, 15), "link_url": LINK, "accent_colour": "#336699"}

    send_mail_in_language(to=["camille@client.example"], template="request_sent", context=context,
                          language="en", reply_to=["olive@firm-a.example"])

    [received] = smtp_server.received
    assert received.rcpt_tos == ["camille@client.example"]
    assert received.mail_from == "no-reply@strongroom.example"
    msg = received.message
    assert msg["Subject"] == "Firm A asks you for: Payslips 2025"
    assert msg["To"] == "camille@client.example" and msg["Reply-To"] == "olive@firm-a.example"
    assert find_links(msg) == [LINK] and "Hello Camille Dupont," in body_text(msg)
    assert not (tmp_path / "outbox").exists()  # nothing went to the outbox


def test_french_mail_goes_out_in_french(smtp_server: CollectingHandler) -> None:
    context = {"workspace_name": "Cabinet B", "client_name": "Zoé", "title": "Bulletins de paie",
               "message": "", "due_date": None, "link_url": LINK, "accent_colour": "#336699"}

    send_mail_in_language(to=["zoe@client.example"], template="request_sent", context=context,
                          language="fr")

    [received] = smtp_server.received
    assert received.message["Subject"] == "Cabinet B vous demande : Bulletins de paie"
    assert "Bonjour Zoé," in body_text(received.message)
