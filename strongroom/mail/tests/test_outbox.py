"""The sealed outbox: mail is written sealed, reads back whole, and damage or a crash is handled."""

from __future__ import annotations

import stat
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.core.management.base import CommandError

from strongroom.crypto.errors import DecryptionFailed
from strongroom.mail import outbox
from strongroom.mail.render import render_mail, send_mail_in_language

pytestmark = pytest.mark.django_db

CLIENT = "camille.dupont-marker@client.example"
LINK = "https://portal.example/p/LINKTOKEN-3f9a2c7e"
REQUEST_CONTEXT = {
    "workspace_name": "Cabinet Marker",
    "client_name": "Camille Dupont",
    "title": "Payslips for SUBJECTMARKER",
    "message": "Please include BODYMARKER statements.",
    "due_date": date(2026, 3, 15),
    "link_url": LINK,
    "accent_colour": "#aa3300",
}
MARKERS = [CLIENT, "camille.dupont-marker", "SUBJECTMARKER", "BODYMARKER", "LINKTOKEN-3f9a2c7e",
           "portal.example", "Camille Dupont", "Cabinet Marker"]


@pytest.fixture
def folder(settings: Any, tmp_path: Path) -> Path:
    """The default mailer is the sealed outbox, in a folder of this test's own (not yet created)."""
    where = tmp_path / "outbox"
    settings.MAILERS = {"default": {"BACKEND": "strongroom.mail.backends.SealedOutboxBackend",
                                    "OPTIONS": {"folder": str(where)}}}
    return where


def send_request(language: str = "en", to: str = CLIENT) -> None:
    send_mail_in_language(to=[to], template="request_sent", context=REQUEST_CONTEXT, language=language)


def sealed_files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


def test_a_sent_mail_is_one_sealed_file_without_plaintext(folder: Path) -> None:
    send_request()

    files = sealed_files(folder)
    assert len(files) == 1 and files[0].name.endswith(".eml.sealed")
    data = files[0].read_bytes()
    for marker in MARKERS:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert marker.encode(encoding) not in data, (marker, encoding)
        assert marker.lower() not in files[0].name.lower()
    assert b"Subject" not in data and b"http" not in data
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600


def test_list_and_read_give_back_every_part_of_the_mail(folder: Path) -> None:
    send_request()

    [listed] = outbox.list_messages()
    msg = outbox.read_message(listed.id)

    assert listed.to == [CLIENT] and not listed.problem
    assert listed.subject == "Cabinet Marker asks you for: Payslips for SUBJECTMARKER"
    assert abs((datetime.now(UTC) - listed.sent_at).total_seconds()) < 60
    assert msg["To"] == CLIENT and msg["Subject"] == listed.subject
    assert msg["Auto-Submitted"] == "auto-generated"
    body = outbox.body_text(msg)
    assert "Hello Camille Dupont," in body and "BODYMARKER" in body and "March 15, 2026" in body
    assert outbox.find_links(msg) == [LINK]
    html = msg.get_body(preferencelist=("html",))
    assert html is not None and LINK in html.get_content() and "#aa3300" in html.get_content()


def test_messages_are_listed_newest_first_and_limited(folder: Path) -> None:
    for n in range(3):
        send_mail_in_language(to=[f"client{n}@client.example"], template="access_code",
                              context={"workspace_name": "Firm A", "code": "123456", "minutes": 10},
                              language="en")

    listed = outbox.list_messages()
    limited = outbox.list_messages(limit=2)

    assert [m.to for m in listed] == [["client2@client.example"], ["client1@client.example"],
                                      ["client0@client.example"]]
    assert [m.id for m in limited] == [m.id for m in listed[:2]]


def test_french_mail_is_in_french(folder: Path) -> None:
    send_request("en")
    send_request("fr")

    french, english = (outbox.read_message(m.id) for m in outbox.list_messages())

    assert french["Subject"] == "Cabinet Marker vous demande : Payslips for SUBJECTMARKER"
    assert english["Subject"] not in french["Subject"]
    body = outbox.body_text(french)
    assert "Bonjour Camille Dupont," in body and "15 mars 2026" in body
    assert "Hello" not in body and "Please reply" not in body
    assert outbox.find_links(french) == [LINK]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(("template", "context"), [
    ("request_sent", {**REQUEST_CONTEXT, "message": "", "due_date": None}),
    ("reminder", {"workspace_name": "Firm A", "client_name": "Camille", "title": "Payslips",
                  "due_date": date(2026, 3, 15), "link_url": LINK, "overdue": True}),
    ("reminder", {"workspace_name": "Firm A", "client_name": "Camille", "title": "Payslips",
                  "due_date": None, "link_url": LINK, "overdue": False}),
    ("access_code", {"workspace_name": "Firm A", "code": "482913", "minutes": 10}),
    ("rejected_item", {"workspace_name": "Firm A", "client_name": "Camille", "title": "Payslips",
                       "item_label": "March payslip", "reason": "The page is blurred", "link_url": LINK}),
    ("receipt", {"workspace_name": "Firm A", "client_name": "Camille", "title": "Payslips",
                 "files": [{"name": "march.pdf", "size_human": "1.2 MB",
                            "received_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC)}],
                 "answers": [{"label": "Employer", "value": "Acme"}], "link_url": LINK}),
    ("staff_submitted", {"workspace_name": "Firm A", "title": "Payslips", "review_url": LINK}),
    ("staff_new_message", {"workspace_name": "Firm A", "title": "Payslips", "review_url": LINK}),
    ("staff_invitation", {"workspace_name": "Firm A", "inviter_name": "Olive", "accept_url": LINK,
                          "role": "admin"}),
])
def test_every_template_renders_in_both_languages(template: str, context: dict[str, Any],
                                                  language: str) -> None:
    subject, text, _html = render_mail(template, context, language)
    other_subject, other_text, _ = render_mail(template, context, "fr" if language == "en" else "en")

    assert subject and "\n" not in subject and subject != other_subject
    assert LINK in text or "482913" in text
    assert text != other_text and "{%" not in text and "\n\n\n" not in text


def test_text_mail_is_not_html_escaped_and_staff_mail_carries_only_links() -> None:
    context = {"workspace_name": "O'Brien & Co", "title": "Tax <2025>", "client_name": "Zoë O'Neil",
               "review_url": LINK, "message": "SECRET-MESSAGE-TEXT"}

    subject, text, _ = render_mail("staff_submitted", context, "en")

    assert subject == "Answer received: Tax <2025>"
    assert "O'Brien & Co" in text and "&#x27;" not in text
    # neither the client's name (an erasure could not find it in the mail) nor what they wrote
    assert "Zoë O'Neil" not in text and "SECRET-MESSAGE-TEXT" not in text


def test_an_unsafe_accent_colour_is_replaced() -> None:
    context = {**REQUEST_CONTEXT, "accent_colour": "red;background-image:url(https://evil.example/x)"}

    _, _, html = render_mail("request_sent", context, "en")

    assert html is not None and "evil.example" not in html and "#1f4e79" in html


def test_a_tampered_file_fails_to_open_and_show_says_so(folder: Path) -> None:
    send_request()
    [path] = sealed_files(folder)
    data = bytearray(path.read_bytes())
    data[40] ^= 0x01
    path.write_bytes(bytes(data))
    message_id = path.name.removesuffix(".eml.sealed")

    with pytest.raises(DecryptionFailed):
        outbox.read_message(message_id)
    with pytest.raises(CommandError, match=f"message {message_id} cannot be read: it was altered"):
        call_command("outbox", "show", message_id, stdout=StringIO(), stderr=StringIO())
    [listed] = outbox.list_messages()
    assert listed.problem and listed.to == []


def test_a_renamed_file_fails_to_open(folder: Path) -> None:
    send_request()
    [path] = sealed_files(folder)
    renamed = "20200101T000000.000000-0123456789abcdef"
    path.rename(folder / f"{renamed}.eml.sealed")

    with pytest.raises(DecryptionFailed):
        outbox.read_message(renamed)


@pytest.mark.parametrize("bad_id", ["20200101T000000.000000-0123456789abcdef", "../../etc/passwd", ""])
def test_an_unknown_id_is_a_lookup_error_and_a_command_error(folder: Path, bad_id: str) -> None:
    send_request()

    with pytest.raises(LookupError, match=r"no message .* in the outbox"):
        outbox.read_message(bad_id)
    with pytest.raises(CommandError, match=r"no message .* in the outbox"):
        call_command("outbox", "show", bad_id, stdout=StringIO(), stderr=StringIO())


def test_the_command_lists_and_shows_a_message(folder: Path) -> None:
    send_request()
    [listed] = outbox.list_messages()
    out = StringIO()

    call_command("outbox", "list", "--limit", "5", stdout=out, stderr=StringIO())
    call_command("outbox", "show", listed.id, stdout=out, stderr=StringIO())

    printed = out.getvalue()
    assert printed.startswith(f"{listed.id}  ") and CLIENT in printed
    assert f"Subject: {listed.subject}" in printed and f"To: {CLIENT}" in printed
    assert LINK in printed and "BODYMARKER" in printed


def test_a_crash_before_the_rename_leaves_no_file(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[Path] = []

    def crash(self: Path, target: Path) -> None:
        written.append(self)
        assert self.parent == folder and self.read_bytes() and stat.S_IMODE(self.stat().st_mode) == 0o600
        raise OSError("simulated crash")

    monkeypatch.setattr(Path, "replace", crash)

    with pytest.raises(OSError, match="simulated crash"):
        send_request()
    assert len(written) == 1 and not written[0].exists()
    assert sealed_files(folder) == [] and outbox.list_messages() == []


def test_fail_silently_skips_a_message_that_cannot_be_written(
    folder: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MAILERS["default"]["OPTIONS"]["fail_silently"] = True

    def crash(*args: Any) -> None:
        raise OSError("simulated crash")

    monkeypatch.setattr(Path, "replace", crash)

    sent = EmailMessage("subject", "body", to=[CLIENT]).send(using="default")

    assert sent == 0 and sealed_files(folder) == []
