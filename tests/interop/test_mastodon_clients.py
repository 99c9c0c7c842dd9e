"""Mastodon client libraries we did not write (masto.js and megalodon, pinned from npm) use a
real `smartnode serve` process on 127.0.0.1 as a Mastodon server: they register an app, run
the OAuth authorization code flow while the member's browser signs in and presses Allow
(masto.js with PKCE S256 and a custom-scheme redirect; megalodon with its own out-of-band,
client-secret flow, then a revocation), and read what apps read first.

What the libraries report is checked here, and so is what the node stored. They never skip.
The node runs on the suite's database (SQLite, or PostgreSQL with SMARTNODE_TEST_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from smartnode.config import load_settings
from smartnode.storage.db import Database
from smartnode.storage.models import ContentObject
from smartnode.storage.models_accounts import ApiToken, OAuthClient, OAuthCode
from tests.conftest import TEST_SECRET, _empty_tables, query
from tests.interop.conftest import node_binary
from tests.servers import Server, check_cli, free_port, node_env, smartnode_server

pytestmark = pytest.mark.interop

CLIENTS_DIR = Path(__file__).parent / "mastodon_clients"
SETUP_HINT = "run `make test` (it installs them) or `npm ci` in tests/interop/mastodon_clients"
PINNED = {"masto": "7.12.0", "megalodon": "10.0.5"}
MEMBER = "astrid"
PASSWORD = "seven quiet lanterns over the harbour"


@dataclass(frozen=True)
class Served:
    """The node, the member the clients act for, and the database the node writes."""

    server: Server
    database_url: str


def clients_node() -> str:
    """`node` (v20+) with the pinned libraries installed; fails the test (never skips) if not."""
    node = node_binary()
    for package, version in PINNED.items():
        manifest = CLIENTS_DIR / "node_modules" / package / "package.json"
        if not manifest.is_file():
            pytest.fail(f"{package} is not installed in {CLIENTS_DIR}: {SETUP_HINT}")
        installed = json.loads(manifest.read_text())["version"]
        if installed != version:
            pytest.fail(f"{package} {installed} is installed, {version} is pinned: {SETUP_HINT}")
    return node


def _empty(database_url: str, data_dir: Path) -> None:
    """The suite's database emptied for the node (it runs `smartnode init` on it)."""
    settings = load_settings(
        domain="empty.test", database_url=database_url, data_dir=data_dir, secret_key=TEST_SECRET
    )

    async def go() -> None:
        database = Database(settings)
        try:
            await _empty_tables(database)
        finally:
            await database.dispose()

    asyncio.run(go())


def _choose_password(server: Server) -> None:
    """The member opens their invitation and chooses a password, as in a browser."""
    printed = check_cli(["member", "invite", MEMBER], server.env)
    found = re.search(r"/invitation/[A-Za-z0-9_\-]+", printed)
    assert found, printed
    with httpx.Client(base_url=server.base_url, timeout=30) as browser:
        page = browser.get(found.group(0))
        assert page.status_code == 200, page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf, page.text
        answer = browser.post(
            found.group(0),
            data={"csrf": csrf.group(1), "choice": "password", "password": PASSWORD},
        )
        assert answer.status_code == 303, answer.text


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Served]:
    clients_node()  # fail before any server starts
    data_dir = tmp_path_factory.mktemp("mastodon-clients-node")
    _empty(database_url, data_dir)
    port = free_port()
    overrides = {"SMARTNODE_DATABASE_URL": database_url, "SMARTNODE_NODE_NAME": "Smart Sverige",
                 "SMARTNODE_NODE_DESCRIPTION": "Smart i Sverige."}  # fmt: skip
    env = node_env(data_dir, port, overrides)
    data_dir.mkdir(parents=True, exist_ok=True)
    check_cli(["init"], env)
    check_cli(["member", "create", MEMBER, "--name", "Astrid Berg", "--email",
               "astrid@example.org"], env)  # fmt: skip
    with smartnode_server(data_dir, env=overrides, port=port, init=False) as server:
        _choose_password(server)
        yield Served(server, database_url)


def run_flow(served: Served, script: str) -> dict[str, Any]:
    """Run one of the clients' scripts against the node; its JSON report."""
    arguments = {"origin": served.server.base_url, "username": MEMBER, "password": PASSWORD}
    done = subprocess.run(
        [clients_node(), script, json.dumps(arguments)],
        cwd=CLIENTS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"{script} exited {done.returncode}:\n{done.stderr[-4000:]}\n"
            f"--- node log ---\n{served.server.log()[-4000:]}"
        )
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.fixture(scope="module")
def masto(served: Served) -> dict[str, Any]:
    return run_flow(served, "masto_flow.mjs")


@pytest.fixture(scope="module")
def megalodon(served: Served) -> dict[str, Any]:
    return run_flow(served, "megalodon_flow.mjs")


def _client_named(served: Served, name: str) -> OAuthClient:
    rows = query(served.database_url, select(OAuthClient).where(OAuthClient.name == name))
    assert len(rows) == 1, rows
    client: OAuthClient = rows[0][0]
    return client


def test_the_pinned_releases_run(masto: dict[str, Any], megalodon: dict[str, Any]) -> None:
    assert masto["version"] == PINNED["masto"]
    assert megalodon["version"] == PINNED["megalodon"]


def test_masto_registers_an_app(masto: dict[str, Any], served: Served) -> None:
    app = masto["app"]
    assert app["name"] == "masto interop"
    assert app["scopes"] == ["read", "write", "follow"]
    assert app["redirectUris"] == ["org.example.interop:/oauth"]
    assert app["clientId"] and app["clientSecret"] == "(secret)"
    client = _client_named(served, "masto interop")
    assert (client.client_id, client.scopes) == (app["clientId"], "read write follow")
    assert client.website == "https://example.org/interop"


def test_masto_signs_in_allows_and_gets_a_token_with_pkce(
    masto: dict[str, Any], served: Served
) -> None:
    visited = masto["browser"]
    assert visited[0].startswith("GET /oauth/authorize 303")  # not signed in yet
    assert "POST /signin 303" in visited
    assert "POST /oauth/authorize 303" in visited
    token = masto["token"]
    assert token["tokenType"] == "Bearer"
    assert token["scope"] == "read write"
    assert isinstance(token["createdAt"], int)
    assert token["accessToken"] == "(secret)"
    client = _client_named(served, "masto interop")
    codes = query(served.database_url, select(OAuthCode).where(OAuthCode.client_id == client.id))
    assert len(codes) == 1
    code: OAuthCode = codes[0][0]
    assert code.code_challenge and code.used_at is not None  # bound to PKCE, spent once
    tokens = query(served.database_url, select(ApiToken).where(ApiToken.client_id == client.id))
    assert len(tokens) == 1
    row: ApiToken = tokens[0][0]
    assert (row.scope, row.scopes) == ("app", "read write")
    assert row.actor_id is not None and row.last_used_at is not None


def test_masto_reads_the_app_and_the_instance(masto: dict[str, Any]) -> None:
    assert masto["verifyApp"]["name"] == "masto interop"
    assert "clientSecret" not in masto["verifyApp"]
    v2 = masto["instanceV2"]
    assert v2["domain"].startswith("127.0.0.1:") and v2["title"] == "Smart Sverige"
    assert v2["version"].startswith("4.3.0 (compatible; smartnode ")
    assert v2["description"] == "Smart i Sverige."
    assert v2["registrations"]["enabled"] is False
    assert v2["configuration"]["statuses"]["maxCharacters"] > 500
    assert v2["usage"]["users"]["activeMonth"] == 1
    v1 = masto["instanceV1"]
    assert v1["uri"] == v2["domain"] and v1["stats"]["userCount"] == 1
    assert masto["peers"] == [] and masto["customEmojis"] == []


def test_masto_reads_preferences_and_keeps_markers(masto: dict[str, Any], served: Served) -> None:
    assert masto["preferences"]["posting:default:visibility"] == "public"
    saved = masto["markersSaved"]["home"]
    assert (saved["lastReadId"], saved["version"]) == ("42", 0)
    assert masto["markers"]["home"]["lastReadId"] == "42"


def test_masto_reports_a_bad_token_with_mastodons_words(masto: dict[str, Any]) -> None:
    refused = masto["badToken"]
    assert refused["refused"] is True and refused["statusCode"] == 401
    assert refused["message"] == "The access token is invalid"


def test_megalodon_registers_and_runs_its_out_of_band_flow(
    megalodon: dict[str, Any], served: Served
) -> None:
    app = megalodon["app"]
    assert app["redirectUri"] == "urn:ietf:wg:oauth:2.0:oob" and app["hasSecret"]
    assert app["url"].startswith(f"{served.server.base_url}/oauth/authorize?")
    assert "POST /oauth/authorize 200" in megalodon["browser"]  # the code shown on a page
    token = megalodon["token"]
    assert token["tokenType"] == "Bearer"
    assert token["refreshKept"] is None  # megalodon drops a Mastodon server's refresh token
    assert token["scope"] == "read write follow push"
    client = _client_named(served, "megalodon interop")
    assert client.scopes == "read write follow push"
    assert client.redirect_uris == ["urn:ietf:wg:oauth:2.0:oob"]


def test_megalodon_reads_the_app_the_instance_and_the_members_settings(
    megalodon: dict[str, Any], served: Served
) -> None:
    assert megalodon["verifyApp"]["name"] == "megalodon interop"
    assert megalodon["instanceV1"]["title"] == "Smart Sverige"
    origin = urlsplit(served.server.base_url).netloc
    assert megalodon["instanceV1"]["urls"] == {"streaming_api": f"ws://{origin}"}
    assert megalodon["instanceV2"]["api_versions"] == {"mastodon": 2}
    assert megalodon["peers"] == [] and megalodon["customEmojis"] == []
    assert megalodon["preferences"]["reading:expand:spoilers"] is False
    assert megalodon["markersSaved"]["notifications"]["last_read_id"] == "7"
    assert megalodon["markers"]["notifications"]["last_read_id"] == "7"


def test_megalodon_revokes_its_token(megalodon: dict[str, Any], served: Served) -> None:
    revoked = megalodon["afterRevoke"]
    assert revoked["refused"] and revoked["status"] == 401
    assert revoked["body"] == {"error": "The access token is invalid"}
    client = _client_named(served, "megalodon interop")
    left = query(served.database_url, select(ApiToken).where(ApiToken.client_id == client.id))
    assert left == []  # the revoked grant's token is gone


def _object(served: Served, status_id: str) -> ContentObject | None:
    rows = query(
        served.database_url, select(ContentObject).where(ContentObject.id == int(status_id))
    )
    return rows[0][0] if rows else None


def test_masto_posts_reads_its_timelines_and_replies(masto: dict[str, Any], served: Served) -> None:
    account = masto["account"]
    assert account["username"] == MEMBER and account["acct"] == MEMBER
    assert account["displayName"] == "Astrid Berg"
    assert "Brass player and arranger." in masto["updated"]["note"]
    posted = masto["posted"]
    assert posted["visibility"] == "public" and posted["language"] == "en"
    assert "Open rehearsal tonight" in posted["content"]
    assert [tag["name"] for tag in posted["tags"]] == ["brass"]
    assert posted["account"]["id"] == account["id"]
    assert masto["fetched"]["id"] == posted["id"]
    for timeline in ("home", "local", "tag"):
        assert posted["id"] in [status["id"] for status in masto[timeline]], timeline
    reply = masto["reply"]
    assert reply["inReplyToId"] == posted["id"]
    assert [status["id"] for status in masto["context"]["descendants"]] == [reply["id"]]
    assert posted["id"] in [status["id"] for status in masto["ownStatuses"]]
    stored = _object(served, posted["id"])
    assert stored is not None and stored.local and stored.visibility == "public"
    assert stored.uri == posted["uri"] and stored.deleted_at is None
    gone = _object(served, reply["id"])
    assert gone is None or gone.deleted_at is not None  # the removed reply is gone


def test_megalodon_posts_reads_and_deletes(megalodon: dict[str, Any], served: Served) -> None:
    assert megalodon["account"]["username"] == MEMBER
    posted = megalodon["posted"]
    assert "Sound check at six" in posted["content"] and posted["visibility"] == "public"
    assert megalodon["fetched"]["uri"] == posted["uri"]
    for timeline in ("home", "local", "tag"):
        assert posted["id"] in [status["id"] for status in megalodon[timeline]], timeline
    assert megalodon["context"] == {"ancestors": [], "descendants": []}
    after = megalodon["afterDelete"]
    assert after["found"] is False and after["status"] == 404
    assert after["body"] == {"error": "Record not found"}
    gone = _object(served, posted["id"])
    assert gone is None or gone.deleted_at is not None


def test_masto_uploads_a_picture_shows_it_likes_and_bookmarks(
    masto: dict[str, Any], served: Served
) -> None:
    media = masto["media"]
    assert media["type"] == "image" and media["description"] == "A red square"
    assert media["meta"]["original"]["width"] == 8 and media["blurhash"]
    shown = httpx.get(media["url"], timeout=10)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
    pictured = masto["pictured"]
    assert [m["id"] for m in pictured["mediaAttachments"]] == [media["id"]]
    assert masto["favourited"]["favourited"] is True
    assert masto["favourited"]["favouritesCount"] == 1
    assert masto["bookmarked"]["bookmarked"] is True
    assert [status["id"] for status in masto["bookmarks"]] == [pictured["id"]]
    stored = _object(served, pictured["id"])
    assert stored is not None and stored.attachments[0]["name"] == "A red square"
    assert stored.attachments[0]["url"] == media["url"]
