"""What the sign-in tests share (no tests here): a real SMTP server on loopback, forms read
and posted as a browser would, and arranging members with accounts."""

from __future__ import annotations

import html
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from smartnode.accounts.accounts import ACTIVE, ensure_account, set_state
from smartnode.accounts.passwords import set_password
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models import Actor
from tests.conftest import make_member

STRONG = "violet tractor under seven lanterns"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@dataclass
class Inbox:
    """Mail the loopback SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1 for the duration of a test."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def link_in(text: str, path: str) -> str:
    """The path (with its token) of the first link to `path` in a mail or page."""
    found = re.search(rf"https://se\.smart\.test({re.escape(path)}[A-Za-z0-9_\-]+)", text)
    assert found, text
    return found.group(1)


def hidden_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}


async def post_form(
    client: httpx.AsyncClient, page_path: str, action: str, **fields: str
) -> httpx.Response:
    """Open `page_path` (for its CSRF cookie and token) and post its form to `action`."""
    page = await client.get(page_path)
    assert page.status_code in (200, 401, 422), page.text
    data = {**hidden_fields(page.text), **fields}
    return await client.post(action, data=data)


async def member_with_password(
    db: Database,
    settings: Settings,
    username: str = "anna",
    *,
    password: str = STRONG,
    email: str | None = None,
    **fields: object,
) -> Actor:
    """Arrange: an active member who signs in with `password`."""
    actor = await make_member(db, settings, username, **fields)
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        account = await ensure_account(s, actor, now, email=email or f"{username}@example.org")
        await set_password(s, account, actor, password, now)
        await set_state(s, account, ACTIVE, now)
    return actor


async def sign_in(
    client: httpx.AsyncClient, name: str, password: str = STRONG, **extra: str
) -> httpx.Response:
    return await post_form(client, "/signin", "/signin", name=name, password=password, **extra)
