"""A Mastodon-shaped follower run by Fedify (an independent implementation whose inbox verifies
HTTP Signatures) follows one of our projects over loopback: it receives the project's
announcement and open call as Notes carrying the full text and hashtags, and its direct reply
to the call becomes an application that it sees acknowledged by a direct Note."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.interop.conftest import node_binary
from tests.interop.test_fedify_federation import (
    MEMBER,
    PROJECT,
    Pair,
    _seed,
    eventually,
    fedify_server,
)
from tests.servers import check_cli, free_port, node_env, smartnode_server

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def followed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pair, str]]:
    """Our node and Fedify, Fedify's actor following the project; and an admin token."""
    node_binary()
    data_dir = tmp_path_factory.mktemp("fedify-content")
    port = free_port()
    _seed(data_dir, port)
    token = check_cli(["token", "create", "interop"], node_env(data_dir, port)).strip()
    with (
        fedify_server(data_dir / "fedify.log") as fedify,
        smartnode_server(data_dir, port=port, init=False, ready_path="/actor") as node,
    ):
        pair = Pair(node, fedify)
        answer = fedify.control("/control/follow", {"actor": pair.project_uri})
        assert answer["ok"], answer
        eventually(lambda: fedify.accepted(answer["followId"]), "our Accept reaches Fedify", pair)
        yield pair, token


def _api(pair: Pair, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(
        pair.node.url(path), params={"as": MEMBER}, json=body,
        headers={"Authorization": f"Bearer {token}"}, timeout=30,
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _received(pair: Pair, object_id: str, activity_type: str = "Create") -> dict[str, Any] | None:
    """What Fedify's inbox verified and parsed of an activity about `object_id`."""
    for seen in pair.fedify.state()["received"]:
        if seen["object"] == object_id and seen["type"] == activity_type:
            found: dict[str, Any] = seen
            return found
    return None


def test_fedify_follower_receives_the_announcement_as_a_note_with_text_and_hashtags(
    followed: tuple[Pair, str],
) -> None:
    pair, token = followed
    text = "Premiär på fredag: Idomeneo i Malmö. Biljetter på vår sida!"
    post = _api(pair, token, f"/api/smart/v1/actors/{PROJECT}/posts",
                {"content": text, "hashtags": ["opera", "Malmö"]})  # fmt: skip
    note_id = post["uri"]
    seen = eventually(lambda: _received(pair, note_id), "Fedify verifies the Create{Note}", pair)
    assert seen["actor"] == pair.project_uri and seen["objectType"] == "Note"
    assert "Idomeneo i Malmö" in seen["content"] and seen["summary"] is None
    hashtags = {tag["name"].lower() for tag in seen["tags"] if tag["type"] == "Hashtag"}
    assert hashtags == {"#opera", "#malmö"}  # Interop: Mastodon matches hashtags case-blind
    assert "https://www.w3.org/ns/activitystreams#Public" in seen["to"]
    assert pair.fedify.state()["errors"] == []


def _dm_to_fedi(pair: Pair, reply_to: str) -> dict[str, Any] | None:
    """A direct Note from the project to Fedify's actor, verified by Fedify."""
    fedi = pair.fedify.actor_uri()
    for seen in pair.fedify.state()["received"]:
        if (seen["type"], seen["actor"], seen["objectType"]) != (
            "Create",
            pair.project_uri,
            "Note",
        ):
            continue
        if seen["to"] == [fedi] and seen["inReplyTo"] == reply_to:
            found: dict[str, Any] = seen
            return found
    return None


def test_fedify_follower_receives_the_call_and_applies_by_direct_reply(
    followed: tuple[Pair, str],
) -> None:
    pair, token = followed
    published = _api(pair, token, f"/api/smart/v1/actors/{PROJECT}/calls", {
        "title": "Répétiteur for Idomeneo",
        "description": "Four weeks of rehearsals in Malmö, spring 2027.",
        "languages": ["sv", "en"], "place": {"country": "SE", "city": "Malmö"},
        "hashtags": ["opera"],
    })  # fmt: skip
    call_id = published["uri"]
    seen = eventually(lambda: _received(pair, call_id), "Fedify verifies the call's Create", pair)
    assert seen["objectType"] == "Note" and seen["summary"] is None  # no content warning
    assert "Répétiteur for Idomeneo" in seen["content"] and "Malmö" in seen["content"]
    assert "#opera" in {tag["name"].lower() for tag in seen["tags"] if tag["type"] == "Hashtag"}

    reply = pair.fedify.control("/control/reply", {
        "to": pair.project_uri, "inReplyTo": call_id,
        "content": "<p>I would love to! I coached Idomeneo at Drottningholm.</p>",
    })  # fmt: skip
    assert reply["ok"], reply
    applications = eventually(
        lambda: pair.rows("SELECT via, state, motivation FROM applications WHERE uri = ?",
                          reply["noteId"]),
        "our node turns the direct reply into an application", pair,
    )  # fmt: skip
    assert applications[0][:2] == ("reply", "pending")
    assert "Drottningholm" in applications[0][2]
    ack = eventually(lambda: _dm_to_fedi(pair, reply["noteId"]), "Fedify verifies the ack", pair)
    assert ack["cc"] == [] and any(t["type"] == "Mention" for t in ack["tags"])
    assert pair.fedify.state()["errors"] == []
