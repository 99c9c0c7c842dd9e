"""The node the browser tests open: `smartnode serve` on loopback, seeded with a country's
members, projects, calls and events, one post, and a member who signs in with a password.

Served as http://localhost:PORT (bound to 127.0.0.1): WebAuthn refuses an IP address as the
relying party, and localhost is a secure context for the browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.servers import Server, check_cli, free_port, smartnode_server

PASSWORD = "violet tractor under seven lanterns"
MEMBER = "astrid"
POST_TEXT = "Ny ljudvandring i Malmö på lördag."


@dataclass
class BrowserNode:
    """The served node, the signed-in member's name and the paths of every kind of page."""

    server: Server
    username: str
    pages_out: dict[str, str] = field(default_factory=dict)
    pages_in: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://localhost:{self.server.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def invitation_path(self, username: str) -> str:
        """A fresh one-time invitation path for `username`, as `smartnode member invite` prints."""
        printed = check_cli(["member", "invite", username], self.server.env)
        found = re.search(r"/invitation/[A-Za-z0-9_\-]+", printed)
        assert found, printed
        return found.group(0)


def _first(pattern: str, page: str) -> str:
    found = re.search(pattern, page)
    assert found, f"no {pattern} in the page"
    return found.group(1)


def _publish_post(node: Server, base: str) -> str:
    """One public post by the member, through the JSON API with a member token; its page path."""
    printed = check_cli(["token", "create", "browser tests", "--member", MEMBER], node.env)
    token = printed.strip().split()[-1]
    answer = httpx.post(
        f"{base}/api/smart/v1/actors/{MEMBER}/posts",
        headers={"Authorization": f"Bearer {token}"},
        json={"content": POST_TEXT, "language": "sv", "hashtags": ["FieldRecording"]},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["uri"]).removeprefix(base)


def _page_paths(base: str, post: str) -> dict[str, str]:
    """Paths of one page of each kind, found by following the node's own links."""
    home = httpx.get(f"{base}/", timeout=30).text
    board = httpx.get(f"{base}/board", timeout=30).text
    events = httpx.get(f"{base}/api/smart/v1/actors/dans-i-skolgarden/events", timeout=30).json()
    esc = re.escape(base)
    found = httpx.get(f"{base}/search?q=ljud", timeout=30).text
    assert re.search(rf'href="{esc}/calls/', found), "the search page lists no result"
    return {
        "home": "/",
        "members": "/members",
        "member": _first(rf'href="{esc}(/members/{MEMBER})"', home),
        "projects": "/projects",
        "project": _first(rf'href="{esc}(/projects/[a-z0-9-]+)"', home),
        "board": "/board",
        "call": _first(rf'href="{esc}(/calls/[A-Za-z0-9]+)"', board),
        "event": str(events["items"][0]["uri"]).removeprefix(base),
        "post": post,
        "tag": "/tags/FieldRecording",
        "search": "/search?q=ljud",
        "about": "/about",
        "not-found": "/members/nobody-by-this-name",
        "signin": "/signin",
        "reset": "/reset",
    }


ACCOUNT_PAGES = {
    "account": "/account",
    "sessions": "/account/sessions",
    "password": "/account/password",
    "second-factor": "/account/second-factor",
    "passkeys": "/account/passkeys",
    "apps": "/account/apps",
    "applications": "/applications",
}


@contextmanager
def browser_node(data_dir: Path) -> Iterator[BrowserNode]:
    """A seeded Swedish node on localhost; its member's password is set through the page."""
    port = free_port()
    base = f"http://localhost:{port}"
    env = {"SMARTNODE_DOMAIN": f"localhost:{port}", "SMARTNODE_BASE_URL": base,
           "SMARTNODE_NODE_NAME": "Smart Sverige", "SMARTNODE_NODE_COUNTRY": "SE"}  # fmt: skip
    with smartnode_server(data_dir, env=env, port=port, seed="SE") as server:
        post = _publish_post(server, base)
        node = BrowserNode(server=server, username=MEMBER)
        node.pages_out = _page_paths(base, post)
        node.pages_out["invitation"] = node.invitation_path("soren")
        node.pages_in = {**node.pages_out, **ACCOUNT_PAGES}
        for signed_out_only in ("signin", "reset", "invitation"):
            del node.pages_in[signed_out_only]
        yield node
