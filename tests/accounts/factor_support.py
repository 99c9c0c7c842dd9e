"""What the second-factor and passkey tests share (no tests here): members with and without
TOTP, partial sessions as a password sign-in leaves them, fresh TOTP codes, and the passkey
ceremonies driven as the page's script drives them."""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pyotp
from sqlalchemy import select

from smartnode.accounts.recovery import replace_codes
from smartnode.accounts.sessions import start_session
from smartnode.accounts.totp import PERIOD, begin_setup
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models_accounts import Account
from smartnode.web.forms import session_cookie_name
from tests.accounts.test_oauth_support import Member, browse_as, signed_in_member
from tests.accounts.webauthn_authenticator import SoftAuthenticator

_DATA_CSRF = re.compile(r'data-csrf="([^"]+)"')
_HIDDEN_CSRF = re.compile(r'<input type="hidden" name="csrf" value="([^"]+)">')


def csrf_of(page: str) -> str:
    """The page's CSRF token (a form's hidden field or a script's data attribute)."""
    found = _HIDDEN_CSRF.search(page) or _DATA_CSRF.search(page)
    assert found, "the page has no CSRF token"
    return html.unescape(found.group(1))


def script_headers(settings: Settings, csrf: str) -> dict[str, str]:
    """What the page's script sends with each JSON request."""
    return {"Origin": settings.base_url, "X-CSRF-Token": csrf}


async def post_form(
    client: httpx.AsyncClient, page_url: str, action: str, **fields: str
) -> httpx.Response:
    """Open `page_url` (for its CSRF cookie and token), then submit a form to `action`."""
    page = await client.get(page_url)
    assert page.status_code == 200, page.text
    return await client.post(action, data={"csrf": csrf_of(page.text), **fields})


async def totp_member(
    db: Database, settings: Settings, username: str = "anna"
) -> tuple[Member, str, list[str]]:
    """Arrange: a signed-in member whose second factor is on; their seed and recovery codes."""
    member = await signed_in_member(db, settings, username)
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        account = await s.get(Account, member.account_id)
        assert account is not None
        seed = await begin_setup(s, settings, account, now)
        account.totp_enabled_at = now
        codes = await replace_codes(s, account)
    return member, seed, codes


async def partial_cookies(db: Database, settings: Settings, account_id: int) -> dict[str, str]:
    """A password sign-in of an account with TOTP on: the partial session's cookie."""
    async with db.session() as s, s.begin():
        account = await s.get(Account, account_id)
        assert account is not None
        started = await start_session(s, settings, account, datetime.now(UTC), method="password")
        assert started.row.level == "partial"
    return {session_cookie_name(settings): started.token}


async def fresh_code(db: Database, account_id: int, seed: str) -> str:
    """A code of a step the node accepts: now, or the next step when now's was used."""
    async with db.session() as s:
        last = await s.scalar(select(Account.totp_last_step).where(Account.id == account_id))
    current = int(time.time()) // PERIOD
    step = max(current, (last or 0) + 1)
    assert step <= current + 1, "no fresh code in this window"
    return pyotp.TOTP(seed).generate_otp(step)


def wrong_code(seed: str) -> str:
    """Six digits that are none of the codes accepted around now."""
    current = int(time.time()) // PERIOD
    taken = {pyotp.TOTP(seed).generate_otp(current + d) for d in range(-2, 3)}
    return next(code for code in (f"{n:06d}" for n in range(1000)) if code not in taken)


async def add_passkey(
    client: httpx.AsyncClient,
    settings: Settings,
    device: SoftAuthenticator,
    name: str = "Laptop",
    **create: Any,
) -> httpx.Response:
    """On the passkeys page: options, the device's answer, the answer posted."""
    page = await client.get("/account/passkeys")
    assert page.status_code == 200, page.text
    headers = script_headers(settings, csrf_of(page.text))
    options = await client.post("/account/passkeys/options", json={}, headers=headers)
    assert options.status_code == 200, options.text
    credential = device.create(options.json(), **create)
    body = {"name": name, "credential": credential}
    return await client.post("/account/passkeys/verify", json=body, headers=headers)


async def passkey_sign_in(
    client: httpx.AsyncClient,
    settings: Settings,
    device: SoftAuthenticator,
    name: str = "",
    next_url: str = "/account/passkeys",
    **get: Any,
) -> httpx.Response:
    """On the sign-in page: options (for `name`, or for anyone), the device's assertion, the
    assertion posted."""
    page = await client.get("/signin")
    assert page.status_code == 200, page.text
    headers = script_headers(settings, csrf_of(page.text))
    options = await client.post("/signin/passkey/options", json={"name": name}, headers=headers)
    assert options.status_code == 200, options.text
    credential = device.get(options.json(), **get)
    body = {"credential": credential, "next": next_url}
    return await client.post("/signin/passkey/verify", json=body, headers=headers)


__all__ = ["Member", "browse_as", "signed_in_member"]
