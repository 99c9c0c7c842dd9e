"""Passwords, session tokens and one-time links never reach a log line (with a mail server
set; without one, the mail itself is what the operator gets in the log)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.web.forms import session_cookie_name
from tests.accounts.account_support import (
    STRONG,
    Inbox,
    body_of,
    link_in,
    member_with_password,
    post_form,
    sign_in,
    smtp_server,
)

NEW = "copper kettle beside nine ferns"
#: The test's own SMTP server and HTTP client log what they carry; the node's lines are checked.
TEST_TOOLS = ("mail.log", "httpx", "httpcore")


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    yield from smtp_server()


async def test_no_secret_in_any_log_line(
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    smtp: tuple[Inbox, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.smtp_url = SecretStr(f"smtp://127.0.0.1:{smtp[1]}")
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # statements and parameters
    await member_with_password(db, settings, "anna")
    await sign_in(client, "anna", "a wrong password for the log")
    await sign_in(client, "anna")
    session_token = client.cookies.get(session_cookie_name(settings))
    await post_form(client, "/account/password", "/account/password", current=STRONG,
                    password=NEW)  # fmt: skip
    client.cookies.clear()
    await post_form(client, "/reset", "/reset", name="anna")
    link = link_in(body_of(smtp[0].messages[0]), "/reset/")
    await post_form(client, link, link, password=STRONG + " again")
    ours = [r for r in caplog.records if not r.name.startswith(TEST_TOOLS)]
    assert any(r.name.startswith("sqlalchemy.engine") for r in ours)  # SQL and its parameters
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in ours)
    assert session_token
    for secret in (STRONG, NEW, "a wrong password for the log", session_token,
                   link.rsplit("/", 1)[1]):  # fmt: skip
        assert secret not in logged
