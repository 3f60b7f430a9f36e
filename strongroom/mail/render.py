"""E-mails rendered in the recipient's language and sent through the default mailer.

Each e-mail is a set of templates under ``mail/``: ``<name>_subject.txt`` (one line),
``<name>.txt`` (the text body, always sent) and, optionally, ``<name>.html`` (an alternative).
E-mails carry links and what the recipient needs to act, never documents.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import translation

DEFAULT_ACCENT = "#1f4e79"
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def supported_language(language: str) -> str:
    """The supported language closest to `language` ("fr-CA" -> "fr"); the default when none fits."""
    try:
        return translation.get_supported_language_variant(language)
    except LookupError:
        return str(settings.LANGUAGE_CODE)


def _safe_context(context: dict[str, Any]) -> dict[str, Any]:
    """A workspace's accent colour lands in a style attribute: allow only a hex colour."""
    safe = dict(context)
    if "accent_colour" in safe and not _COLOUR.fullmatch(str(safe["accent_colour"] or "")):
        safe["accent_colour"] = DEFAULT_ACCENT
    return safe


def _tidy(text: str) -> str:
    """Template tags leave blank lines behind: keep at most one between paragraphs."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def render_mail(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str | None]:
    """(subject, text body, html body or None) of `template`, rendered in `language`."""
    context = _safe_context(context)
    with translation.override(supported_language(language)):
        subject = " ".join(render_to_string(f"mail/{template}_subject.txt", context).split())
        text = _tidy(render_to_string(f"mail/{template}.txt", context))
        try:
            html_template = get_template(f"mail/{template}.html")
        except TemplateDoesNotExist:
            html = None
        else:
            html = html_template.render(context)
    return subject, text, html


def send_mail_in_language(
    *,
    to: list[str],
    template: str,
    context: dict[str, Any],
    language: str,
    reply_to: list[str] | None = None,
) -> None:
    """Render `template` in `language` ("en" or "fr") and send it to `to` from DEFAULT_FROM_EMAIL.

    Errors of the mailer are raised (callers in tasks retry); nothing is sent when `to` is empty.
    """
    if not to:
        return
    code = supported_language(language)
    subject, text, html = render_mail(template, context, code)
    message = EmailMultiAlternatives(
        subject,
        text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to or None,
        # Automatic mail: no out-of-office replies back to us (RFC 3834).
        headers={"Auto-Submitted": "auto-generated", "Content-Language": code},
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    message.send(using="default")
