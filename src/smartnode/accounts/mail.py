"""Sending mail (invitations, password resets) through the operator's SMTP server.

Without `SMARTNODE_SMTP_URL` the message is logged instead, so that an operator can still pass
a link on (the CLI prints invitation links too). Sending happens after the transaction that
made the link, never inside it (DESIGN.md rule 11).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib

from smartnode.config import Settings
from smartnode.errors import ConfigError

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True, slots=True)
class Mail:
    """One plain-text message."""

    to: str
    subject: str
    body: str
    language: str


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to send, parsed from SMARTNODE_SMTP_URL."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None


def smtp_server(url: str) -> SmtpServer:
    """Parse smtp://[user:password@]host[:port] or smtps://…; ConfigError when malformed."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError("SMARTNODE_SMTP_URL must look like smtp://user:password@host:587")
    implicit = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if implicit else 587)
    except ValueError:
        raise ConfigError("SMARTNODE_SMTP_URL has a port that is not a number") from None
    return SmtpServer(
        host=parts.hostname,
        port=port,
        implicit_tls=implicit,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def build_message(settings: Settings, mail: Mail) -> EmailMessage:
    """The RFC 5322 message for `mail`, from the node's sender address."""
    message = EmailMessage()
    message["From"] = f"{settings.node_name} <{settings.mail_from}>"
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
    message.set_content(mail.body)
    message["Content-Language"] = mail.language  # after set_content, which clears Content-*
    return message


async def send_mail(settings: Settings, mail: Mail) -> bool:
    """Send `mail`; True when the server took it. Without SMTP settings the body is logged."""
    if settings.smtp_url is None:
        log.warning("no SMTP server is set (SMARTNODE_SMTP_URL); mail to %s:\n%s", mail.to,
                    mail.body)  # fmt: skip
        return False
    server = smtp_server(settings.smtp_url.get_secret_value())
    try:
        await aiosmtplib.send(
            build_message(settings, mail),
            hostname=server.host,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.implicit_tls,
            timeout=TIMEOUT_SECONDS,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.error("mail to %s not sent: %s", mail.to, exc)
        return False
    return True
