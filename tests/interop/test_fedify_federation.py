"""Fedify (an independent implementation whose inbox verifies HTTP Signatures) federates with a
real `smartnode serve` process over loopback: follows and Accepts both ways, and forged or
unsigned requests refused both ways. Fedify's inbox listeners only run for activities Fedify
verified, so what server.mjs reports as `verified` is Fedify's own verdict."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from smartnode.federation.keys import decrypt_private_key, load_private_key
from smartnode.federation.signatures import sign_request_cavage
from tests.interop.conftest import FEDIFY_DIR, node_binary
from tests.servers import HOST, Server, check_cli, free_port, node_env, smartnode_server

pytestmark = pytest.mark.interop

MEMBER = "asa"
PROJECT = "malmo-opera"
#: Bounded polling for what happens asynchronously (worker rounds, deliveries).
WAIT = 45.0
#: server.mjs stops by itself after this many seconds even if nobody closes its stdin.
FEDIFY_LIFETIME = 300
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
ACTIVITY_JSON = "application/activity+json"

T = TypeVar("T")


@dataclass
class Fedify:
    """server.mjs: Fedify's federation on http://127.0.0.1:port, with a test control API."""

    origin: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def actor_uri(self, name: str = "fedi") -> str:
        return f"{self.origin}/users/{name}"

    def inbox_uri(self, name: str = "fedi") -> str:
        return f"{self.actor_uri(name)}/inbox"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def state(self) -> dict[str, Any]:
        found: dict[str, Any] = httpx.get(f"{self.origin}/control/state", timeout=10).json()
        return found

    def control(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.post(f"{self.origin}{path}", json=payload, timeout=60)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
        found: dict[str, Any] = answer.json()
        return found

    def accepted(self, follow_id: str) -> dict[str, Any] | None:
        """Fedify's record of a Follow it sent, once a verified Accept of it arrived."""
        sent: dict[str, Any] | None = self.state()["following"].get(follow_id)
        return sent if sent is not None and sent["state"] == "accepted" else None

    def verified(self, activity_id: str) -> list[dict[str, Any]]:
        """What Fedify's inboxes verified (listener ran) with this activity id."""
        return [seen for seen in self.state()["verified"] if seen["id"] == activity_id]


@dataclass
class Pair:
    """Our node and Fedify, each knowing the other's address."""

    node: Server
    fedify: Fedify

    @property
    def member_uri(self) -> str:
        return self.node.url(f"/members/{MEMBER}")

    @property
    def project_uri(self) -> str:
        return self.node.url(f"/projects/{PROJECT}")

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Rows of the served node's own SQLite database (read-only)."""
        database = self.node.data_dir / "smartnode.db"
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
            return [tuple(row) for row in conn.execute(sql, params).fetchall()]

    def follow_state(self, follower_uri: str, followed_uri: str) -> tuple[Any, ...] | None:
        found = self.rows(
            "SELECT f.uri, f.state FROM follows f JOIN actors a ON a.id = f.follower_id "
            "JOIN actors b ON b.id = f.followed_id WHERE a.uri = ? AND b.uri = ?",
            follower_uri,
            followed_uri,
        )
        return found[0] if found else None

    def stored(self, activity_uri: str) -> list[tuple[Any, ...]]:
        return self.rows(
            "SELECT actor_uri, activity_type, state FROM inbox_messages WHERE activity_uri = ?",
            activity_uri,
        )

    def explain(self) -> str:
        try:
            state = json.dumps(self.fedify.state(), indent=1)[-4000:]
        except httpx.HTTPError as error:
            state = repr(error)
        return (
            f"--- node log ---\n{self.node.log()[-4000:]}\n--- fedify log ---\n"
            f"{self.fedify.log()}\n--- fedify state ---\n{state}"
        )


def eventually(check: Callable[[], T | None], what: str, pair: Pair) -> T:
    """Poll `check` until it returns something truthy; fail (quoting both logs) after WAIT s."""
    deadline = time.monotonic() + WAIT
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {WAIT:g} s\n{pair.explain()}")
        time.sleep(0.2)


@contextmanager
def fedify_server(log_path: Path) -> Iterator[Fedify]:
    """Start server.mjs (fails, never skips, without Node or the npm packages); always stopped."""
    node = node_binary()
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, "server.mjs", str(port), str(FEDIFY_LIFETIME)],
            cwd=FEDIFY_DIR, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    fedify = Fedify(f"http://{HOST}:{port}", process, log_path)
    try:
        _wait_until_ready(fedify)
        yield fedify
    finally:
        if process.stdin is not None:
            process.stdin.close()  # server.mjs exits when its stdin closes
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(15)


def _wait_until_ready(fedify: Fedify) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if fedify.process.poll() is not None:
            pytest.fail(f"server.mjs exited {fedify.process.returncode}:\n{fedify.log()}")
        try:
            fedify.state()
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"server.mjs did not answer within 60 s:\n{fedify.log()}")


def _seed(data_dir: Path, port: int) -> None:
    env = node_env(data_dir, port)
    data_dir.mkdir(parents=True, exist_ok=True)
    check_cli(["init"], env)
    check_cli(["member", "create", MEMBER, "--name", "Åsa Lindqvist", "--email", "asa@example.org",
               "--country", "SE"], env)  # fmt: skip
    check_cli(["project", "create", PROJECT, "--name", "Malmö Opera", "--coordinator", MEMBER], env)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    node_binary()  # fail before any server starts
    data_dir = tmp_path_factory.mktemp("fedify-federation")
    port = free_port()
    _seed(data_dir, port)
    with (
        fedify_server(data_dir / "fedify.log") as fedify,
        smartnode_server(data_dir, port=port, init=False, ready_path="/actor") as node,
    ):
        yield Pair(node, fedify)


def _collection_items(url: str) -> list[str]:
    """Items of one of our collections: its root, then its first page."""
    headers = {"Accept": ACTIVITY_JSON}
    root = httpx.get(url, headers=headers, timeout=10).json()
    items = root.get("orderedItems") or root.get("items")
    if items is None and root.get("first"):
        first = root["first"]
        page = first if isinstance(first, dict) else httpx.get(first, headers=headers).json()
        items = page.get("orderedItems") or page.get("items") or []
    return [item if isinstance(item, str) else item["id"] for item in items or []]


def _follow(activity_id: str, actor: str, obj: str) -> dict[str, Any]:
    return {"@context": AS_CONTEXT, "id": activity_id, "type": "Follow", "actor": actor,
            "object": obj}  # fmt: skip


def _post_signed(
    inbox: str, activity: dict[str, Any], key_id: str, key: rsa.RSAPrivateKey
) -> httpx.Response:
    """POST `activity` to `inbox` with a draft-cavage signature made by `key` under `key_id`."""
    body = json.dumps(activity).encode()
    headers = {"Content-Type": ACTIVITY_JSON}
    headers |= sign_request_cavage("POST", inbox, headers, body, key_id, key, datetime.now(UTC))
    return httpx.post(inbox, content=body, headers=headers, timeout=30)


def _member_key(pair: Pair) -> rsa.RSAPrivateKey:
    """Our member's real private key, decrypted as the node does (for a control request)."""
    ((token,),) = pair.rows("SELECT private_key_enc FROM actors WHERE uri = ?", pair.member_uri)
    secret = (pair.node.data_dir / "secret.key").read_text().strip().encode()
    return load_private_key(decrypt_private_key(token, secret))


# --- 1. Fedify's actor follows our project --------------------------------------------------


def test_fedify_follows_our_project_and_verifies_our_accept(pair: Pair) -> None:
    fedi = pair.fedify.actor_uri()
    answer = pair.fedify.control("/control/follow", {"actor": pair.project_uri})
    assert answer["ok"], answer  # our inbox answered 2xx to Fedify's signed Follow
    follow_id = answer["followId"]

    sent = eventually(lambda: pair.fedify.accepted(follow_id), "Fedify records our Accept", pair)
    (accept,) = [seen for seen in pair.fedify.state()["verified"] if seen["type"] == "Accept"
                 and seen["object"] == follow_id]  # fmt: skip
    assert (accept["actor"], accept["id"]) == (pair.project_uri, sent["acceptId"])
    assert accept["id"].startswith(pair.node.base_url + "/")

    assert pair.follow_state(fedi, pair.project_uri) == (follow_id, "accepted")
    assert pair.stored(follow_id) == [(fedi, "Follow", "done")]
    delivered = eventually(
        lambda: pair.rows(
            "SELECT d.inbox_uri, d.last_status FROM deliveries d JOIN activities a"
            " ON a.id = d.activity_id WHERE a.uri = ? AND d.state = 'done'",
            accept["id"],
        ),
        "our delivery row of the Accept is done",
        pair,
    )
    fedify_inboxes = [(pair.fedify.inbox_uri(), 202), (f"{pair.fedify.origin}/inbox", 202)]
    assert len(delivered) == 1 and delivered[0] in fedify_inboxes, delivered
    followers = eventually(
        lambda: fedi in (found := _collection_items(f"{pair.project_uri}/followers")) and found,
        "the project's followers collection lists Fedify's actor",
        pair,
    )
    assert followers == [fedi]


# --- 2. Our member follows Fedify's actor ---------------------------------------------------


def test_our_member_follows_fedify_which_verifies_our_follow_and_accepts(pair: Pair) -> None:
    fedi = pair.fedify.actor_uri()
    done = pair.node.cli("follow", MEMBER, fedi)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "asked to follow" in done.stdout
    (row,) = pair.rows(
        "SELECT f.uri FROM follows f JOIN actors a ON a.id = f.follower_id WHERE a.uri = ?",
        pair.member_uri,
    )
    follow_id = row[0]

    eventually(
        lambda: pair.fedify.state()["followers"].get("fedi", {}).get(pair.member_uri),
        "Fedify verifies our Follow and stores our member as a follower",
        pair,
    )
    assert pair.fedify.state()["followers"]["fedi"][pair.member_uri] == follow_id
    (seen,) = pair.fedify.verified(follow_id)
    assert (seen["type"], seen["actor"], seen["object"]) == ("Follow", pair.member_uri, fedi)

    eventually(
        lambda: pair.follow_state(pair.member_uri, fedi) == (follow_id, "accepted"),
        "Fedify's Accept makes our follow accepted",
        pair,
    )
    ((inbox, body, state),) = pair.rows(
        "SELECT inbox, body, state FROM inbox_messages"
        " WHERE activity_type = 'Accept' AND actor_uri = ?",
        fedi,
    )
    object_id = json.loads(body)["object"]
    object_id = object_id["id"] if isinstance(object_id, dict) else object_id
    assert (inbox, object_id, state) == (f"{pair.member_uri}/inbox", follow_id, "done")
    following = eventually(
        lambda: fedi in (found := _collection_items(f"{pair.member_uri}/following")) and found,
        "the member's following collection lists Fedify's actor",
        pair,
    )
    assert following == [fedi]
    fedify_followers = httpx.get(
        f"{fedi}/followers", headers={"Accept": ACTIVITY_JSON}, timeout=10
    ).json()
    assert pair.member_uri in json.dumps(fedify_followers)


# --- 3. Forgeries are refused both ways ------------------------------------------------------


def test_fedify_refuses_an_unsigned_follow(pair: Pair) -> None:
    forged = _follow(pair.node.url(f"/forged/{uuid.uuid4()}"), pair.member_uri,
                     pair.fedify.actor_uri())  # fmt: skip
    answer = httpx.post(
        pair.fedify.inbox_uri(),
        content=json.dumps(forged),
        headers={"Content-Type": ACTIVITY_JSON},
        timeout=30,
    )
    assert answer.status_code == 401, answer.text
    assert "signature" in answer.text.lower()
    assert pair.fedify.verified(forged["id"]) == []
    assert forged["id"] not in pair.fedify.state()["followers"].get("fedi", {}).values()


def test_fedify_refuses_a_follow_signed_with_another_key_for_our_member(pair: Pair) -> None:
    other = pair.fedify.actor_uri("other")
    key_id = f"{pair.member_uri}#main-key"
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = _follow(pair.node.url(f"/forged/{uuid.uuid4()}"), pair.member_uri, other)
    answer = _post_signed(pair.fedify.inbox_uri("other"), forged, key_id, impostor)
    assert answer.status_code == 401, answer.text
    assert pair.fedify.verified(forged["id"]) == []
    assert pair.member_uri not in pair.fedify.state()["followers"].get("other", {})

    # Control: the same request signed with the member's real key is verified and taken.
    honest = _follow(pair.node.url(f"/honest/{uuid.uuid4()}"), pair.member_uri, other)
    answer = _post_signed(pair.fedify.inbox_uri("other"), honest, key_id, _member_key(pair))
    assert answer.status_code == 202, answer.text
    assert [seen["actor"] for seen in pair.fedify.verified(honest["id"])] == [pair.member_uri]
    assert pair.fedify.state()["followers"]["other"][pair.member_uri] == honest["id"]


def test_we_refuse_a_follow_fedify_signed_for_another_actor(pair: Pair) -> None:
    fedi, other = pair.fedify.actor_uri(), pair.fedify.actor_uri("other")
    inbox = f"{pair.project_uri}/inbox"
    forged = _follow(f"{pair.fedify.origin}/forged/{uuid.uuid4()}", other, pair.project_uri)
    answer = pair.fedify.control(
        "/control/post", {"inbox": inbox, "activity": forged, "sign": True}
    )
    assert answer["status"] == 401, answer
    assert pair.stored(forged["id"]) == []

    # Control: the same request, signed the same way for the actor that owns the key, is taken.
    honest = _follow(f"{pair.fedify.origin}/honest/{uuid.uuid4()}", fedi, pair.member_uri)
    inbox = f"{pair.member_uri}/inbox"
    answer = pair.fedify.control(
        "/control/post", {"inbox": inbox, "activity": honest, "sign": True}
    )
    assert answer["status"] == 202, answer
    assert [row[:2] for row in pair.stored(honest["id"])] == [(fedi, "Follow")]


def test_we_refuse_an_unsigned_follow_from_fedify(pair: Pair) -> None:
    fedi = pair.fedify.actor_uri()
    inbox = f"{pair.project_uri}/inbox"
    unsigned = _follow(f"{pair.fedify.origin}/unsigned/{uuid.uuid4()}", fedi, pair.project_uri)
    answer = pair.fedify.control(
        "/control/post", {"inbox": inbox, "activity": unsigned, "sign": False}
    )
    assert answer["status"] == 401, answer
    assert pair.stored(unsigned["id"]) == []
    shared = pair.fedify.control(
        "/control/post", {"inbox": pair.node.url("/inbox"), "activity": unsigned, "sign": False}
    )
    assert shared["status"] == 401, shared
    assert pair.stored(unsigned["id"]) == []


def test_fedify_listeners_raised_nothing(pair: Pair) -> None:
    """Last: none of the exchanges above made a Fedify inbox listener fail."""
    assert pair.fedify.state()["errors"] == []
