"""A real OpenID provider for the sign-in tests (oidc-provider on Node, 127.0.0.1), and a
browser's part of the flow: leave the node, sign in at the provider's own HTML forms with
httpx, and bring the provider's answer back to the node (an ASGI app at the test base URL).

The provider fails the tests, never skips them, without Node or its npm packages
(`make test` installs them; or `npm ci` in tests/accounts/oidc_provider).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from smartnode.config import Settings

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
SETUP_HINT = "run `make test` (it installs it) or `npm ci` in tests/accounts/oidc_provider"
CALLBACK = "https://se.smart.test/signin/provider/callback"
CLIENT_ID, CLIENT_SECRET = "smartnode", "smartnode-secret-for-tests"
OTHER_ID, OTHER_SECRET = "elsewhere", "elsewhere-secret-for-tests"
#: provider.mjs stops by itself after this many seconds even if nobody closes its stdin.
LIFETIME = 600
START_TIMEOUT = 60.0

ACCOUNTS: dict[str, dict[str, Any]] = {
    "anna": {"email": "Anna@Example.org", "email_verified": True, "preferred_username": "anna",
             "name": "Anna Berg"},
    "ulla": {"email": "ulla@example.org", "email_verified": False, "name": "Ulla"},
    "nina": {"email": "nina@example.org", "email_verified": True,
             "preferred_username": "Nína Ödegård", "name": "Nína Ödegård"},
    "nina-too": {"email": "nina.o@example.org", "email_verified": True,
                 "preferred_username": "Nína Ödegård", "name": "Nína O."},
    "bo": {"email": "bo@example.org", "email_verified": True, "name": "Bo"},
    "mallory": {"email": "anna@example.org", "email_verified": True, "name": "Not Anna"},
}  # fmt: skip


def _client(client_id: str, secret: str) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "client_secret": secret,
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    }


@dataclass(frozen=True)
class Provider:
    """A running provider: its issuer URL and its log."""

    issuer: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def settings_for(self, settings: Settings, **overrides: Any) -> Settings:
        """The node's settings pointed at this provider (loopback allowed)."""
        return settings.model_copy(
            update={
                "allow_private_addresses": True,
                "oidc_issuer": self.issuer,
                "oidc_client_id": CLIENT_ID,
                "oidc_client_secret": SecretStr(CLIENT_SECRET),
                "oidc_name": "Smart ID",
                **overrides,
            }
        )


def node_binary() -> str:
    """`node` with oidc-provider installed; fails the test (never skips) if not."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("`node` (v20+) is not on PATH: the OpenID sign-in tests need it")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
        pytest.fail(f"oidc-provider is not installed in {PROVIDER_DIR}: {SETUP_HINT}")
    return node


@contextmanager
def running_provider(folder: Path) -> Iterator[Provider]:
    """Start provider.mjs on 127.0.0.1 with the clients and ACCOUNTS; always stopped."""
    node = node_binary()
    config = folder / "provider.json"
    clients = [_client(CLIENT_ID, CLIENT_SECRET), _client(OTHER_ID, OTHER_SECRET)]
    config.write_text(json.dumps({"clients": clients, "accounts": ACCOUNTS}))
    log_path = folder / "provider.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, "provider.mjs", str(config), str(LIFETIME)], cwd=PROVIDER_DIR,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
        )  # fmt: skip
    try:
        yield Provider(_ready_line(process, log_path)["issuer"], log_path)
    finally:
        if process.stdin is not None:
            process.stdin.close()  # provider.mjs exits when its stdin closes
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(15)
        if process.stdout is not None:
            process.stdout.close()


def _ready_line(process: subprocess.Popen[bytes], log_path: Path) -> dict[str, Any]:
    """The JSON line provider.mjs prints once it listens (read in a thread, with a timeout)."""
    lines: list[bytes] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(START_TIMEOUT)
    if not lines or not lines[0].strip():
        process.kill()
        pytest.fail(f"provider.mjs did not start:\n{log_path.read_text(errors='replace')}")
    ready: dict[str, Any] = json.loads(lines[0])
    return ready


# ------------------------------------------------------------ the browser's part of the flow


async def leave_node(client: httpx.AsyncClient, next_url: str = "/account", **kw: Any) -> str:
    """GET /signin/provider: the provider's authorization URL the node sends the browser to."""
    response = await client.get("/signin/provider", params={"next": next_url}, **kw)
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def at_provider(authorize_url: str, login: str, *, cancel: bool = False) -> str:
    """Sign in as `login` at the provider (its login form, then its consent form), or cancel
    there; the URL the provider sends the browser back to (the node's callback)."""
    async with httpx.AsyncClient(trust_env=False, timeout=30) as browser:
        response = await browser.get(authorize_url)
        for _ in range(12):
            if response.is_redirect:
                target = str(response.url.join(response.headers["location"]))
                if target.startswith(CALLBACK):
                    return target
                response = await browser.get(target)
                continue
            assert response.status_code == 200, response.text
            if cancel:
                abort = re.search(r'href="([^"]*/abort)"', response.text)
                assert abort is not None, response.text
                response = await browser.get(response.url.join(abort.group(1)))
                continue
            response = await _submit(browser, response, login)
    raise AssertionError("the provider never sent the browser back")


async def _submit(browser: httpx.AsyncClient, page: httpx.Response, login: str) -> httpx.Response:
    """Fill in and send the provider's login or consent form."""
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    prompt = re.search(r'name="prompt" value="(\w+)"', page.text)
    assert action is not None and prompt is not None, page.text
    fields = {"prompt": prompt.group(1)}
    if prompt.group(1) == "login":
        fields |= {"login": login, "password": "any password will do"}
    return await browser.post(page.url.join(action.group(1)), data=fields)


async def sign_in(
    client: httpx.AsyncClient, login: str, next_url: str = "/account", **kw: Any
) -> httpx.Response:
    """The whole round: leave the node, sign in at the provider, come back."""
    answer = await at_provider(await leave_node(client, next_url, **kw), login)
    return await client.get(answer, **kw)


def query_param(url: str, name: str) -> str:
    value = httpx.URL(url).params.get(name)
    assert value is not None, f"{name} is not in {url}"
    return value
