"""Passwords, session tokens, one-time links, API and OAuth tokens, app secrets and the metrics
token never reach a log line (with a mail server set; without one, the mail itself is what the
operator gets in the log)."""

from __future__ import annotations

import logging
import re
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
    hidden_fields,
    link_in,
    member_with_password,
    post_form,
    sign_in,
    smtp_server,
)
from tests.accounts.test_oauth_support import (
    bearer,
    browse_as,
    granted_tokens,
    register,
    signed_in_member,
)
from tests.ops import METRICS_TOKEN, node_client, scrape

NEW = "copper kettle beside nine ferns"
#: The test's own SMTP server and HTTP client log what they carry; the node's lines are checked.
TEST_TOOLS = ("mail.log", "httpx", "httpcore")
FORGED = "forged-bearer-token-7f3a9c"


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
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # statements and parameters
    caplog.set_level(logging.DEBUG)  # last: the capturing handler keeps the last level set
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


async def test_no_token_or_secret_in_any_log_line(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Sign-in, a personal token made on its page, an OAuth app registered and its code
    exchanged (then refreshed), authenticated API calls and a metrics scrape: none of their
    secrets reaches a log line, SQL parameters included."""
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # statements and parameters
    caplog.set_level(logging.DEBUG)  # last: the capturing handler keeps the last level set
    logging.getLogger("smartnode.probe").debug("a DEBUG line is captured")
    node = settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)})
    await member_with_password(db, node, "anna")
    bo = await signed_in_member(db, node, "bo")
    async with node_client(node) as client:
        await sign_in(client, "anna")
        session_token = client.cookies.get(session_cookie_name(node))
        page = await client.get("/account/tokens")
        form = {"csrf": hidden_fields(page.text)["csrf"], "label": "calendar", "scope": ["read"]}
        made = await client.post("/account/tokens", data=form)
        personal = re.search(r'id="f-secret" type="text" value="([^"]+)"', made.text)
        assert personal is not None
        client.cookies.clear()
        app = await register(client)
        granted = await granted_tokens(client, bo, app, scope="read")
        browse_as(client, None)
        refreshed = await client.post("/oauth/token", data={
            "grant_type": "refresh_token", "refresh_token": granted["refresh_token"],
            "client_id": app["client_id"], "client_secret": app["client_secret"]})  # fmt: skip
        assert refreshed.status_code == 200, refreshed.text
        for token in (personal.group(1), refreshed.json()["access_token"]):
            used = await client.get("/api/smart/v1/notifications", headers=bearer(token))
            assert used.status_code == 200, used.text
        assert (
            await client.get("/api/smart/v1/members", headers=bearer(FORGED))
        ).status_code == 401
        await scrape(client)
    ours = [r for r in caplog.records if not r.name.startswith(TEST_TOOLS)]
    assert any(r.name.startswith("sqlalchemy.engine") for r in ours)  # SQL and its parameters
    assert any(r.name == "smartnode.probe" for r in ours)  # DEBUG lines are read too
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in ours)
    secrets = [STRONG, session_token, personal.group(1), app["client_secret"],
               granted["access_token"], granted["refresh_token"],
               refreshed.json()["access_token"], refreshed.json()["refresh_token"],
               bo.cookies[session_cookie_name(node)], METRICS_TOKEN, FORGED]  # fmt: skip
    assert all(secrets)
    for secret in secrets:
        assert secret not in logged
