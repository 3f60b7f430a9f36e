"""`strongroom outbox list [--limit N]` and `outbox show ID`: read the sealed outbox."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from strongroom.crypto.errors import CryptoError
from strongroom.mail import outbox

SHOWN_HEADERS = ("Date", "From", "To", "Cc", "Reply-To", "Subject")


class Command(BaseCommand):
    help = "Read the e-mail sealed into the outbox (the embedded default mailer)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="one line per message, newest first: id, time, to, subject")
        listing.add_argument("--limit", type=int, default=None, help="show at most N messages")
        show = sub.add_parser("show", help="the headers and text body of one message")
        show.add_argument("id", help="a message id, as `outbox list` prints it")

    def handle(self, *args: Any, **options: Any) -> None:
        if not outbox.outbox_in_use():
            self.stderr.write("note: mail is sent by SMTP; the outbox only holds mail written before that")
        try:
            if options["action"] == "list":
                self.do_list(options["limit"])
            else:
                self.do_show(options["id"])
        except CryptoError as exc:
            raise CommandError(f"the outbox cannot be read: {exc}") from exc

    def do_list(self, limit: int | None) -> None:
        if limit is not None and limit < 1:
            raise CommandError("--limit must be 1 or more")
        messages = outbox.list_messages(limit)
        if not messages:
            self.stdout.write(f"the outbox is empty ({outbox.outbox_folder()})")
        for m in messages:
            when = m.sent_at.strftime("%Y-%m-%d %H:%M:%S UTC")
            if m.problem:
                self.stdout.write(f"{m.id}  {when}  (cannot be read: {m.problem})")
            else:
                self.stdout.write(f"{m.id}  {when}  {', '.join(m.to)}  {m.subject}")

    def do_show(self, message_id: str) -> None:
        try:
            msg = outbox.read_message(message_id)
        except LookupError as exc:
            raise CommandError(f"{exc.args[0]}; `outbox list` shows the ids") from exc
        except CryptoError as exc:
            raise CommandError(
                f"message {message_id} cannot be read: it was altered or damaged, renamed, or sealed "
                f"by another installation ({exc})"
            ) from exc
        for name in SHOWN_HEADERS:
            value = msg.get(name)
            if value is not None:
                self.stdout.write(f"{name}: {value}")
        self.stdout.write("")
        self.stdout.write(outbox.body_text(msg).rstrip("\n"))
