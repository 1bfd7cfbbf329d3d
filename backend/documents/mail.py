"""E-mailing a document's link, when the shop has an SMTP server (``COMPTOIR_SMTP_URL``): the
message carries the link, never the file, so every open is still recorded and a link withdrawn
stops working in the inbox too.

``smtp://`` upgrades with STARTTLS when the server offers it; ``smtps://`` speaks TLS from the
start. Sending is blocking network I/O with a bounded timeout, run in a thread, after the link's
command has committed: a server that refuses leaves the link made, to copy by hand.
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

TIMEOUT_SECONDS = 10
MAX_ADDRESS = 254


class MailFailed(Exception):
    """The server could not be reached or refused the message."""


@dataclass(frozen=True)
class Letter:
    to: str
    subject: str
    body: str


def address_problem(address: str) -> str | None:
    """A single plain address: no display name, no second recipient, nothing to inject a header."""
    local, at, domain = address.partition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(address) > MAX_ADDRESS
        or any(c in address for c in " ,;<>\r\n\x00")
    ):
        return "email_invalid"
    return None


def _send(url: str, sender: str, letter: Letter) -> None:
    parts = urlsplit(url)
    host, secure = parts.hostname or "localhost", parts.scheme == "smtps"
    port = parts.port or (465 if secure else 25)
    message = EmailMessage()
    message["From"] = sender or f"comptoir@{host}"
    message["To"] = letter.to
    message["Subject"] = letter.subject
    message.set_content(letter.body)
    client = smtplib.SMTP_SSL if secure else smtplib.SMTP
    try:
        with client(host, port, timeout=TIMEOUT_SECONDS) as server:
            if not secure and server.has_extn("starttls"):
                server.starttls()
            if parts.username:
                server.login(unquote(parts.username), unquote(parts.password or ""))
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailFailed(str(exc)) from None


async def send_link(url: str, sender: str, letter: Letter) -> None:
    await asyncio.to_thread(_send, url, sender, letter)
