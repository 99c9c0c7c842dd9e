"""se, be and fr become peers as real `smartnode serve` processes, whatever order their
operators act in: one adds the other first and the other later; one adds a peer that is down;
each removes the other and adds it again. Boards back-fill the peer's open calls and events.
Effects are polled with a bounded deadline."""

from __future__ import annotations

import pytest

from tests.e2e.nodes import Federation, Node, poll

pytestmark = pytest.mark.e2e


def states(node: Node, peer: Node) -> tuple[str, str] | None:
    """(ours → theirs, theirs → ours) as `node` keeps them for `peer`."""
    found = node.rows(
        "SELECT ours_state, theirs_state FROM peers WHERE host = ?", (f"127.0.0.1:{peer.port}",)
    )
    return found[0] if found else None


def peered(first: Node, second: Node) -> bool:
    both = ("accepted", "accepted")
    return states(first, second) == both and states(second, first) == both


def test_a_node_added_first_is_accepted_when_the_other_adds_it_later(
    federation: Federation,
) -> None:
    se, be = federation.se, federation.be
    se.cli("peer", "add", be.base_url)
    poll(
        lambda: be.follow_state(se.url("/actor"), be.url("/actor")) == "pending",
        "be keeping se's Follow until it trusts se",
    )
    assert states(se, be) == ("pending", "not asked")

    be.cli("peer", "add", se.base_url)  # later, be's operator adds se

    poll(lambda: peered(se, be), "both directions accepted")
    listed = se.cli("peer", "list")
    assert f"127.0.0.1:{be.port}" in listed and listed.count("accepted") >= 2
    assert "its follow of our node actor not asked -> accepted" in se.log()
    assert "our follow of its node actor pending -> accepted" in be.log() + se.log()


def test_removing_and_adding_again_works_in_both_orders(federation: Federation) -> None:
    se, be = federation.se, federation.be
    if not peered(se, be):
        se.cli("peer", "add", be.base_url)
        be.cli("peer", "add", se.base_url)
        poll(lambda: peered(se, be), "se and be peered")

    se.cli("peer", "remove", f"127.0.0.1:{be.port}")
    poll(lambda: states(be, se) == ("refused", "not asked"), "be seeing se's Reject and Undo")
    assert be.follow_state(se.url("/actor"), be.url("/actor")) is None
    se.cli("peer", "add", be.base_url)
    poll(lambda: peered(se, be), "both accepted again after se added be again")

    be.cli("peer", "remove", f"127.0.0.1:{se.port}")
    poll(lambda: states(se, be) == ("refused", "not asked"), "se seeing be's Reject and Undo")
    be.cli("peer", "add", se.base_url)
    poll(lambda: peered(se, be), "both accepted again after be added se again")


def test_a_peer_that_was_down_is_followed_once_it_is_up_and_boards_backfill(
    federation: Federation,
) -> None:
    be, fr = federation.be, federation.fr
    fr.cli("seed", "--country", "FR")  # two open calls and an upcoming event, before peering
    fr_calls = {uri for (uri,) in fr.rows("SELECT uri FROM objects WHERE kind = 'call'")}
    [(fr_event,)] = fr.rows("SELECT uri FROM objects WHERE kind = 'event'")
    fr.stop()

    be.cli("peer", "add", fr.base_url)
    poll(lambda: (states(be, fr) or ("",))[0] == "unreachable", "be noting fr unreachable")
    [(error,)] = be.rows("SELECT last_error FROM peers WHERE host = ?", (f"127.0.0.1:{fr.port}",))
    assert "could not fetch its node actor" in error
    assert "unreachable" in be.cli("peer", "list")

    fr.start()
    fr.cli("peer", "add", be.base_url)  # fr's Follow makes be's follow job run at once

    poll(lambda: peered(be, fr), "both directions accepted once fr is up")

    def backfilled() -> set[str]:
        return {uri for (uri,) in be.rows("SELECT uri FROM objects WHERE local = 0")}

    poll(lambda: fr_calls | {fr_event} <= backfilled(), "be back-filling fr's calls and event")
    board = be.get_ap(be.url("/api/smart/v1/board?limit=100"))
    assert fr_calls <= {item["uri"] for item in board.json()["items"]}
