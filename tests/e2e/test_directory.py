"""The federated directory between real `smartnode serve` processes (se, be, fr) on 127.0.0.1:
a search on se also asks its trusted peers be and fr, which answer with their members who
opted in to be found by other nodes and never with the others; a peer that answers after the
deadline is left out and named; a node that is not trusted is refused (docs/search.md)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from smartnode.federation.keys import load_private_key
from smartnode.federation.signatures import sign_request_cavage
from tests.e2e.nodes import NAMES, Federation, Node, ports_outside_ephemeral_range
from tests.e2e.remote import FakeOrigin

pytestmark = pytest.mark.e2e

#: se's (and fr's) wait for the peers' answers: long enough for a loaded machine.
DEADLINE = "8"
WORDS = "lighting designer"


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """se, be and fr with their directory deadline set, and the peers and members the tests
    search: on be and fr one member who opted in to be found by other nodes and one who did
    not (both listed and searchable on their own node)."""
    root: Path = tmp_path_factory.mktemp("directory")
    ports = ports_outside_ephemeral_range(len(NAMES))
    federation = Federation(*(Node(name, root, port) for name, port in zip(NAMES, ports)))
    for node in federation.nodes():
        node.env["SMARTNODE_DIRECTORY_DEADLINE"] = DEADLINE
        node.env["SMARTNODE_SEMANTIC_SEARCH"] = "false"  # words suffice here; spares the CPU
    try:
        for node in federation.nodes():
            node.start()
        _people(federation)
        yield federation
    finally:
        for node in federation.nodes():
            node.stop()


def _member(node: Node, username: str, name: str, bio: str, *, peers: bool) -> None:
    node.create_member(username, name)
    node.patch_member(username, summary=bio, language="en")
    opt_ins = {"listed": True, "indexable": True, "found_by_peers": peers}
    node.api("PUT", f"/api/smart/v1/members/{username}/matching-profile", {"opt_ins": opt_ins})


def _people(federation: Federation) -> None:
    se, be, fr = federation.nodes()
    for peer in (be, fr):
        se.cli("peer", "add", peer.base_url)
        peer.cli("peer", "add", se.base_url)
    _member(se, "astrid", "Astrid Holm", "Lighting designer for dance in Malmö.", peers=False)
    _member(be, "lieve", "Lieve Claes", "Lighting designer for theatre in Brussels.", peers=True)
    _member(be, "jan", "Jan Peeters", "Lighting designer and stage manager in Ghent.", peers=False)
    _member(fr, "margaux", "Margaux Petit", "Lighting designer for opera in Lyon.", peers=True)
    _member(fr, "hugo", "Hugo Morel", "Lighting designer for circus in Lille.", peers=False)


def host(node: Node) -> str:
    return f"127.0.0.1:{node.port}"


def search(node: Node, q: str, **params: Any) -> httpx.Response:
    """GET /api/smart/v1/search on `node` with its admin token."""
    return httpx.get(
        node.url("/api/smart/v1/search"), params={"q": q, **params}, timeout=60,
        headers={"Authorization": f"Bearer {node.token}"},
    )  # fmt: skip


def origins(answer: httpx.Response) -> dict[str, str | None]:
    assert answer.status_code == 200, answer.text
    return {item["uri"]: item["origin"] for item in answer.json()["items"]}


def test_a_search_on_se_finds_the_opted_in_members_of_be_and_fr_and_no_one_else(
    federation: Federation,
) -> None:
    se, be, fr = federation.nodes()
    # each node's own search finds both of its members: only the opt-in keeps one out
    assert {be.member_uri("lieve"), be.member_uri("jan")} <= set(origins(search(be, WORDS)))

    answer = search(se, WORDS, peers="true")

    assert origins(answer) == {
        se.member_uri("astrid"): None,
        be.member_uri("lieve"): host(be),
        fr.member_uri("margaux"): host(fr),
    }
    assert answer.json()["peers"] == {"asked": sorted([host(be), host(fr)]), "left_out": []}
    assert [item["local"] for item in answer.json()["items"]].count(True) == 1
    without = search(se, WORDS)  # not asked: our own members only, nothing kept of theirs
    assert origins(without) == {se.member_uri("astrid"): None}
    assert without.json()["peers"] is None
    anonymous = httpx.get(se.url("/api/smart/v1/search"), params={"q": WORDS, "peers": "true"})
    assert anonymous.status_code == 401, anonymous.text

    printed = [line.split() for line in se.cli("search", WORDS, "--peers").splitlines()]
    assert printed[-1] == ["3", "found."]
    assert sorted(printed[:-1]) == sorted([
        ["member", se.member_uri("astrid"), "Astrid", "Holm", "here"],
        ["member", be.member_uri("lieve"), "Lieve", "Claes", host(be)],
        ["member", fr.member_uri("margaux"), "Margaux", "Petit", host(fr)],
    ])  # fmt: skip


def test_a_peer_that_answers_after_the_deadline_is_left_out_and_named(
    federation: Federation,
) -> None:
    se, be, fr = federation.nodes()
    assert fr.server is not None
    pid = fr.server.running.process.pid
    os.kill(pid, signal.SIGSTOP)  # fr answers only once it runs again, after the deadline
    try:
        answer = search(se, WORDS, peers="true")
    finally:
        os.kill(pid, signal.SIGCONT)

    assert origins(answer) == {se.member_uri("astrid"): None, be.member_uri("lieve"): host(be)}
    assert answer.json()["peers"] == {"asked": sorted([host(be), host(fr)]),
                                      "left_out": [host(fr)]}  # fmt: skip
    printed = se.cli("search", WORDS, "--peers")  # fr answers again
    assert fr.member_uri("margaux") in printed and "Left out" not in printed


def _signed_get(url: str, key_id: str, private_pem: str) -> httpx.Response:
    headers = {"Accept": "application/json"}
    headers |= sign_request_cavage(
        "GET", url, headers, None, key_id, load_private_key(private_pem), datetime.now(UTC)
    )
    return httpx.get(url, headers=headers, timeout=30)


def test_a_node_that_is_not_trusted_is_refused(federation: Federation, origin: FakeOrigin) -> None:
    be, fr = federation.be, federation.fr
    fr.cli("peer", "add", be.base_url)  # fr trusts be, but be does not trust fr

    answer = search(fr, WORDS, peers="true")

    assert origins(answer) == {fr.member_uri("hugo"): None, fr.member_uri("margaux"): None}
    assert answer.json()["peers"]["left_out"] == [host(be)]  # be refused fr (403)
    directory = be.url("/api/smart/v1/directory?q=lighting")
    stranger = origin.add_actor("stranger")
    refused = _signed_get(directory, stranger.key_id, stranger.private_pem)
    assert refused.status_code == 403, refused.text
    assert "trusted peers" in refused.json()["error"]
    unsigned = httpx.get(directory, timeout=30)
    assert unsigned.status_code == 401, unsigned.text
    fr.cli("peer", "remove", host(be))
