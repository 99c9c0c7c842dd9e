"""se, be and fr federate as real `smartnode serve` processes on 127.0.0.1: follows by handle,
Undo, follow requests, profile Updates, restarts mid-delivery, a hanging host, and the inbox's
refusals. Each test makes its own members; effects are polled with a bounded deadline."""

from __future__ import annotations

import secrets
import signal

import httpx
import pytest

from smartnode.federation.keys import generate_rsa_keypair
from tests.e2e.nodes import DEADLINE, Federation, poll
from tests.e2e.remote import FakeActor, FakeOrigin, signed_post, silent_host

pytestmark = pytest.mark.e2e

#: How long be waits for an answer to one delivery (DeliveryOptions.timeout).
DELIVERY_TIMEOUT = 10.0
#: The block list of a running node is reloaded at least this often (cli: "within 30 seconds").
BLOCKS_RELOAD = 40.0


def _refused(answer: httpx.Response, status: int, why: str) -> None:
    assert (answer.status_code, why in answer.json()["error"]) == (status, True), answer.text


def test_the_inbox_refuses_unsigned_forged_and_blocked_posts_and_stores_nothing(
    federation: Federation, origin: FakeOrigin
) -> None:
    se, be = federation.se, federation.be
    se.cli("block", "add", "spam.example", "--reason", "e2e")
    sara = se.create_member("sara", "Sara Berg")
    eve = origin.add_actor("eve")
    inbox = se.url("/members/sara/inbox")

    def follow_of_sara(actor: str) -> dict[str, object]:
        return {**eve.activity("Follow", sara, secrets.token_hex(8)), "actor": actor}

    unsigned = follow_of_sara(eve.uri)
    answer = httpx.post(inbox, json=unsigned, headers={"Content-Type": "application/activity+json"})
    _refused(answer, 401, "no Signature header")

    forged = follow_of_sara(eve.uri)
    not_eves_key = generate_rsa_keypair()[0]
    answer = signed_post(inbox, forged, eve.key_id, not_eves_key)
    _refused(answer, 401, "signature does not verify")

    impersonated = follow_of_sara(be.url("/actor"))  # eve's own key, be's node actor's name
    answer = signed_post(inbox, impersonated, eve.key_id, eve.private_pem)
    _refused(answer, 401, f"signed by {eve.uri}, not by {be.url('/actor')}")

    spam = follow_of_sara("https://spam.example/users/spammer")

    def blocked() -> httpx.Response | None:
        answer = signed_post(inbox, spam, eve.key_id, eve.private_pem)
        return answer if answer.status_code == 403 else None

    answer = poll(blocked, "403 for an actor on a blocked domain", timeout=BLOCKS_RELOAD)
    _refused(answer, 403, "spam.example is blocked")

    refused = [unsigned["id"], forged["id"], impersonated["id"], spam["id"]]
    marks = ",".join("?" * len(refused))
    assert se.rows(f"SELECT id FROM inbox_messages WHERE activity_uri IN ({marks})", refused) == []
    assert se.follow_state(eve.uri, sara) is None

    honest = follow_of_sara(eve.uri)  # the same request, properly signed, is taken
    assert signed_post(inbox, honest, eve.key_id, eve.private_pem).status_code == 202
    stored = se.rows("SELECT activity_uri FROM inbox_messages WHERE actor_uri = ?", (eve.uri,))
    assert stored == [(honest["id"],)]
    poll(lambda: se.follow_state(eve.uri, sara) == "accepted", "se accepting eve's Follow")


def test_a_follow_by_handle_is_accepted_and_undo_removes_it(federation: Federation) -> None:
    se, be = federation.se, federation.be
    anna = se.create_member("anna", "Anna Lind")
    bram = be.create_member("bram", "Bram Peeters")

    assert "asked to follow" in se.cli("follow", "anna", be.handle("bram"))  # pending for now

    poll(lambda: se.follow_state(anna, bram) == "accepted", "se receiving be's Accept")
    assert be.follow_state(anna, bram) == "accepted"
    poll(lambda: anna in be.collection("bram", "followers"), "be's followers listing anna")
    assert se.collection("anna", "following") == [bram]

    assert "no longer follows" in se.cli("unfollow", "anna", be.handle("bram"))
    assert se.follow_state(anna, bram) is None
    assert se.collection("anna", "following") == []
    poll(lambda: be.follow_state(anna, bram) is None, "be applying the Undo")
    poll(lambda: anna not in be.collection("bram", "followers"), "be's followers without anna")


def test_a_follow_of_an_actor_who_approves_followers_waits_for_approval(
    federation: Federation,
) -> None:
    se, fr = federation.se, federation.fr
    fleur = fr.create_member("fleur", "Fleur Martin")
    fr.patch_member("fleur", manually_approves_followers=True)
    assert fr.get_ap("/members/fleur").json()["manuallyApprovesFollowers"] is True
    astrid = se.create_member("astrid", "Astrid Holm")

    se.cli("follow", "astrid", fr.handle("fleur"))
    poll(lambda: fr.follow_state(astrid, fleur) == "pending", "fr storing the follow request")

    assert fr.sent(fleur, "Accept") == 0  # nothing was sent back
    assert se.follow_state(astrid, fleur) == "pending"
    assert astrid not in fr.collection("fleur", "followers")
    assert se.collection("astrid", "following") == []

    fr.api("POST", "/api/smart/v1/actors/fleur/follow-requests/accept", {"follower": astrid})
    assert fr.follow_state(astrid, fleur) == "accepted"
    assert fr.sent(fleur, "Accept") == 1
    poll(lambda: se.follow_state(astrid, fleur) == "accepted", "se receiving fleur's Accept")
    poll(lambda: fr.collection("fleur", "followers") == [astrid], "fr's followers of fleur")
    assert se.collection("astrid", "following") == [fleur]


def test_a_profile_update_reaches_followers_on_another_node(federation: Federation) -> None:
    be, fr = federation.be, federation.fr
    chloe = fr.create_member("chloe", "Chloé Durand")
    bruno = be.create_member("bruno", "Bruno Claes")
    fr.cli("follow", "chloe", be.handle("bruno"))
    poll(lambda: fr.follow_state(chloe, bruno) == "accepted", "fr receiving be's Accept")
    assert fr.remote_name(bruno) == "Bruno Claes"

    be.patch_member("bruno", name="Bruno Claes-Jacobs")

    poll(lambda: fr.remote_name(bruno) == "Bruno Claes-Jacobs", "fr refreshing bruno's name")
    update = fr.rows(
        "SELECT state FROM inbox_messages WHERE actor_uri = ? AND activity_type = 'Update'",
        (bruno,),
    )
    assert update == [("done",)]


def test_deliveries_survive_a_stopped_receiver_and_a_crashed_sender(
    federation: Federation,
) -> None:
    be, fr, se = federation.be, federation.fr, federation.se
    claire = fr.create_member("claire", "Claire Petit")
    lien = be.create_member("lien", "Lien Maes")
    fr.cli("follow", "claire", be.handle("lien"))
    poll(lambda: fr.follow_state(claire, lien) == "accepted", "fr receiving be's Accept")

    fr.stop()
    be.patch_member("lien", name="Lien Maes (fr asleep)")
    fr_inbox = fr.url("/inbox")
    failed = poll(
        lambda: [d for d in be.deliveries_to(fr_inbox, lien) if d[4] == "Update" and d[3]],
        "be's attempt to deliver the Update to the stopped fr",
    )
    row_id, state, attempts, last_error, _ = failed[-1]
    assert state == "pending" and attempts >= 1 and last_error  # kept for a retry

    be.stop(signal.SIGKILL)  # a crash: the pending delivery is only in be's database
    sven = se.create_member("sven", "Sven Ek")
    be.cli("follow", "lien", se.handle("sven"))  # while be is down: Follow + fan-out job stored
    assert be.follow_state(lien, sven) == "pending"
    assert be.rows("SELECT state FROM jobs WHERE kind = 'fanout' AND state = 'pending'") != []
    fr.start()
    # The retry is due tens of seconds after the failure (backoff); a test does not wait that.
    be.due_now([row_id])
    be.start()

    poll(lambda: fr.remote_name(lien) == "Lien Maes (fr asleep)", "fr getting the Update")
    assert [d[1] for d in be.deliveries_to(fr_inbox, lien) if d[0] == row_id] == ["done"]
    poll(lambda: be.follow_state(lien, sven) == "accepted", "the Follow stored while be was down")
    assert se.follow_state(lien, sven) == "accepted"


def test_a_host_that_never_answers_does_not_delay_the_others(
    federation: Federation, origin: FakeOrigin
) -> None:
    se, be = federation.se, federation.be
    sofia = se.create_member("sofia", "Sofia Nyberg")
    bo = be.create_member("bo", "Bo Jansens")
    se.cli("follow", "sofia", be.handle("bo"))
    poll(lambda: se.follow_state(sofia, bo) == "accepted", "se receiving be's Accept")

    with silent_host() as dead:
        dead_inbox = dead.url("/inbox")
        hung = origin.add_actor("hung", inbox=dead_inbox)
        _follow_over_the_wire(be.url("/members/bo/inbox"), hung, bo)
        poll(lambda: be.follow_state(hung.uri, bo) == "accepted", "be accepting hung's Follow")
        accept = poll(  # be's Accept to hung timed out once: be knows that host is in trouble
            lambda: [d for d in be.deliveries_to(dead_inbox, bo) if d[3]],
            "be's first attempt at the silent host failing",
            timeout=DEADLINE + DELIVERY_TIMEOUT,
        )
        # The retry is due tens of seconds later (backoff); a test does not wait that long.
        be.due_now([accept[0][0]])
        poll(lambda: dead.hanging() == [1], "be retrying at the silent host")

        be.patch_member("bo", name="Bo Jansens-Wouters")

        poll(lambda: se.remote_name(bo) == "Bo Jansens-Wouters", "se getting bo's Update")
        assert 1 in dead.hanging()  # se was served while be's retry at the silent host hung
        to_dead = be.deliveries_to(dead_inbox, bo)
        assert {d[4] for d in to_dead} == {"Accept", "Update"}
        assert all(d[1] == "pending" for d in to_dead)


def _follow_over_the_wire(inbox: str, follower: FakeActor, followed: str) -> None:
    follow = follower.activity("Follow", followed, secrets.token_hex(8))
    answer = signed_post(inbox, follow, follower.key_id, follower.private_pem)
    assert answer.status_code == 202, answer.text
