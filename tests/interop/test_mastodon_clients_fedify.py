"""masto.js and megalodon (pinned from npm) as the apps of two members of a real
`smartnode serve` process, beside a real Fedify peer (tests/interop/fedify/server.mjs), both on
127.0.0.1: each library finds the peer's actor with `/api/v2/search?resolve=true` (WebFinger and
the actor document fetched through our safe fetcher), follows it and sees the peer's Accept in
the relationship; opens the user stream with its own streaming client (masto's
createStreamingAPIClient, megalodon's userStreaming socket) and hears the peer's public post
as an `update` and the peer's Follow of the member as a `notification`; then reads that
notification through the notifications API.

Each member's app holds a personal token (`smartnode token create --member`); the OAuth flow
the libraries run is proven in test_mastodon_clients.py. What the libraries report is checked
against what the node stored and what Fedify verified. The node runs on the suite's database.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from smartnode.storage.models import Actor, ContentObject, Follow
from smartnode.storage.models_work import Notification
from tests.conftest import query
from tests.interop.test_fedify_federation import Fedify, fedify_server
from tests.interop.test_mastodon_clients import CLIENTS_DIR, _empty, clients_node
from tests.servers import Server, check_cli, free_port, node_env, smartnode_server

pytestmark = pytest.mark.interop

MEMBERS = {"masto": "astrid", "megalodon": "bertil"}
POST = "Rehearsal moved to Thursday"


@dataclass(frozen=True)
class Pair:
    """Our node, the Fedify peer, the members' tokens, the database the node writes."""

    node: Server
    fedify: Fedify
    tokens: dict[str, str]
    database_url: str

    @property
    def handle(self) -> str:
        return f"@fedi@{urlsplit(self.fedify.origin).netloc}"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Pair]:
    clients_node()  # fail before any server starts
    data_dir = tmp_path_factory.mktemp("mastodon-clients-fedify")
    _empty(database_url, data_dir)
    port = free_port()
    overrides = {"SMARTNODE_DATABASE_URL": database_url}
    env = node_env(data_dir, port, overrides)
    data_dir.mkdir(parents=True, exist_ok=True)
    check_cli(["init"], env)
    tokens = {}
    for library, member in MEMBERS.items():
        check_cli(["member", "create", member, "--name", member.title(), "--email",
                   f"{member}@example.org"], env)  # fmt: skip
        tokens[library] = check_cli(["token", "create", library, "--member", member], env).strip()
    with (
        fedify_server(data_dir / "fedify.log") as fedify,
        smartnode_server(data_dir, env=overrides, port=port, init=False) as node,
    ):
        yield Pair(node, fedify, tokens, database_url)


def run_social(pair: Pair, library: str) -> dict[str, Any]:
    """Run the library's social script; its JSON report (fails quoting both logs)."""
    member = MEMBERS[library]
    arguments = {"origin": pair.node.base_url, "token": pair.tokens[library],
                 "fedify": pair.fedify.origin, "handle": pair.handle,
                 "member": pair.node.url(f"/members/{member}"),
                 "marker": f"Tuning {library}"}  # fmt: skip
    done = subprocess.run(
        [clients_node(), f"{library}_social.mjs", json.dumps(arguments)],
        cwd=CLIENTS_DIR, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(
            f"{library}_social.mjs exited {done.returncode}:\n{done.stderr[-4000:]}\n"
            f"--- node log ---\n{pair.node.log()[-4000:]}\n--- fedify ---\n{pair.fedify.log()}"
        )
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.fixture(scope="module")
def masto(pair: Pair) -> dict[str, Any]:
    return run_social(pair, "masto")


@pytest.fixture(scope="module")
def megalodon(pair: Pair) -> dict[str, Any]:
    return run_social(pair, "megalodon")


def _follow_state(pair: Pair, follower_uri: str, followed_uri: str) -> str | None:
    one, two = aliased(Actor), aliased(Actor)
    rows = query(pair.database_url, select(Follow.state).join(one, one.id == Follow.follower_id)
                 .join(two, two.id == Follow.followed_id)
                 .where(one.uri == follower_uri, two.uri == followed_uri))  # fmt: skip
    return rows[0][0] if rows else None


def _check(pair: Pair, report: dict[str, Any], library: str) -> None:
    member_uri = pair.node.url(f"/members/{MEMBERS[library]}")
    fedi = pair.fedify.actor_uri()
    # (1) found by resolve=true, followed, and the peer's Accept seen by the app
    (peer,) = report["found"]
    assert peer["url"] == fedi and peer["username"] == "fedi"
    assert peer["acct"] == pair.handle.removeprefix("@")
    assert report["accepted"]["following"] is True and report["accepted"]["id"] == peer["id"]
    assert _follow_state(pair, member_uri, fedi) == "accepted"
    accepts = [s for s in pair.fedify.state()["verified"]
               if s["type"] == "Follow" and s["actor"] == member_uri]  # fmt: skip
    assert len(accepts) == 1 and accepts[0]["object"] == fedi  # Fedify verified our Follow
    # (3) the peer's post and its Follow on the user stream, in the library's own shapes
    streamed = report["streamed"]
    assert streamed["update"]["account"] == peer["acct"]
    assert POST in streamed["update"]["content"] and streamed["update"]["visibility"] == "public"
    assert streamed["notification"] == {"type": "follow", "account": peer}
    stored = query(pair.database_url, select(ContentObject.local, ContentObject.visibility)
                   .where(ContentObject.uri == streamed["update"]["uri"]))  # fmt: skip
    assert stored == [(False, "public")]
    assert streamed["update"]["id"] in [s["id"] for s in report["home"]]
    # (2) the notification through the notifications API, as stored
    follows = [n for n in report["notifications"] if n["type"] == "follow"]
    assert [n["account"]["id"] for n in follows] == [peer["id"]]
    assert report["notification"]["id"] == follows[0]["id"]
    assert _follow_state(pair, fedi, member_uri) == "accepted"
    rows = query(pair.database_url, select(Notification.kind, Actor.uri)
                 .join(Actor, Actor.id == Notification.actor_id)
                 .where(Notification.id == int(follows[0]["id"])))  # fmt: skip
    assert rows == [("follow", member_uri)]


def test_masto_finds_follows_hears_and_reads_a_fedify_peer(
    masto: dict[str, Any], pair: Pair
) -> None:
    assert masto["version"] == "7.12.0"
    _check(pair, masto, "masto")
    assert masto["notification"]["type"] == "follow"
    assert masto["notification"]["account"]["acct"] == pair.handle.removeprefix("@")


def test_megalodon_finds_follows_hears_and_reads_a_fedify_peer(
    megalodon: dict[str, Any], pair: Pair
) -> None:
    assert megalodon["version"] == "10.0.5"
    _check(pair, megalodon, "megalodon")
    assert megalodon["notification"]["type"] == "follow"
    assert megalodon["notification"]["account"]["acct"] == pair.handle.removeprefix("@")
