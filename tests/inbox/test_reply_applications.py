"""Fediverse users apply by a direct reply to a call: the reply becomes an application, the
author gets a direct Note (Mastodon-valid DM) in the reply's language (English when it has
none; never the node's), and later the decision as another direct Note in the same language.
A public reply is only a reply."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from smartnode.federation.vocab import PUBLIC
from tests.conftest import make_member, make_project
from tests.content import activity, fan_out, member_headers, node_client, remote_note
from tests.inbox import Fediverse, receive
from tests.inbox.applications import applications, deliveries, make_call, notifications, sent

ALICE = "https://mastodon.example/users/alice"
REPLY = "https://mastodon.example/users/alice/statuses/1"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(ALICE, name="Alice Martin")
    return fediverse


@pytest.fixture
async def anna(db, settings):
    return await make_member(db, settings, "anna")


@pytest.fixture
async def jazz(db, settings, anna):
    return await make_project(db, settings, "Jazz", "anna")


@pytest.fixture
async def api(settings, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


def reply(
    call_uri: str, project_uri: str, *, direct: bool = True, language: str | None = None
) -> dict[str, Any]:
    """Alice's reply to a call, as Mastodon sends it (a DM to the project, or public), with
    `contentMap` when its language is known."""
    audience = {"to": [project_uri], "cc": []} if direct else {}
    text = "<p>@jazz I play the drums!</p>"
    languages = {"contentMap": {language: text}} if language else {}
    return remote_note(
        REPLY, ALICE, inReplyTo=call_uri, content=text,
        tag=[{"type": "Mention", "href": project_uri, "name": "@jazz@se.smart.test"}],
        **audience, **languages,
    )  # fmt: skip


async def test_a_direct_reply_is_an_application_acknowledged_by_a_direct_note(
    db, settings, world, anna, jazz
) -> None:
    call = await make_call(db, settings, jazz, language="fr", title="Batteur")
    outcome = await receive(
        db, settings, world, activity("Create", ALICE, reply(call.uri, jazz.uri, language="fr"))
    )
    assert outcome.status == "processed" and "application" in outcome.reason
    [app] = await applications(db)
    assert (app.uri, app.via, app.local, app.state) == (REPLY, "reply", True, "pending")
    assert "drums" in app.motivation and app.call_id == call.id
    [note] = await notifications(db)
    assert (note.actor_id, note.kind, note.object_uri) == (anna.id, "application", REPLY)
    [create] = await sent(db, "Create")
    dm = create.document["object"]
    assert create.actor_id == jazz.id and not create.public
    assert dm["to"] == [ALICE] and dm.get("cc", []) == [] and create.document["to"] == [ALICE]
    assert PUBLIC not in str(create.document) and f"{jazz.uri}/followers" not in str(dm)
    assert {"type": "Mention", "href": ALICE, "name": "@alice@mastodon.example"} in dm["tag"]
    assert dm["inReplyTo"] == REPLY and "Merci" in dm["content"] and "Batteur" in dm["content"]
    assert list(dm["contentMap"]) == ["fr"]
    assert await fan_out(db, settings, create) == ["https://mastodon.example/inbox"]
    [delivery] = await deliveries(db)
    assert (delivery.inbox_uri, delivery.activity_id) == ("https://mastodon.example/inbox",
                                                          create.id)  # fmt: skip


async def test_a_public_reply_to_a_call_is_not_an_application(db, settings, world, jazz) -> None:
    call = await make_call(db, settings, jazz)
    body = activity("Create", ALICE, reply(call.uri, jazz.uri, direct=False))
    outcome = await receive(db, settings, world, body)
    assert outcome.status == "processed" and "application" not in outcome.reason
    assert await applications(db) == [] and await sent(db) == []
    # the coordinators hear of it as of any post that mentions their project, not as an application
    assert [(n.kind, n.data.get("project")) for n in await notifications(db)] == [
        ("mention", jazz.uri)
    ]


async def test_a_direct_reply_to_a_closed_call_is_not_an_application(
    db, settings, world, jazz
) -> None:
    call = await make_call(db, settings, jazz, state="closed")
    outcome = await receive(
        db, settings, world, activity("Create", ALICE, reply(call.uri, jazz.uri))
    )
    assert outcome.status == "processed" and "not an application" in outcome.reason
    assert await applications(db) == [] and await sent(db) == []


@pytest.mark.parametrize(("decision", "word"), [("accept", "Welcome"), ("reject", "chose")])
async def test_the_decision_is_sent_as_another_direct_note(
    api, db, settings, world, anna, jazz, decision, word
) -> None:
    call = await make_call(db, settings, jazz)
    await receive(db, settings, world, activity("Create", ALICE, reply(call.uri, jazz.uri)))
    [app] = await applications(db)
    headers = await member_headers(db, anna)
    response = await api.post(f"/api/smart/v1/applications/{app.id}/{decision}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == {"accept": "accepted", "reject": "rejected"}[decision]
    _ack, told = await sent(db, "Create")
    dm = told.document["object"]
    assert dm["to"] == [ALICE] and word in dm["content"] and not told.public
    assert [a.activity_type for a in await sent(db)].count("Accept") == 0
    assert [a.activity_type for a in await sent(db)].count("Reject") == 0
    assert await fan_out(db, settings, told) == ["https://mastodon.example/inbox"]
    [stored] = await applications(db)
    assert stored.decision_uri == dm["id"]


@pytest.mark.parametrize(
    ("language", "shown", "thanks", "welcome"),
    [("nl", "nl", "Bedankt! Je sollicitatie voor", "Goed nieuws: je sollicitatie voor"),
     ("nl-BE", "nl", "Bedankt! Je sollicitatie voor", "Goed nieuws: je sollicitatie voor"),
     (None, "en", "Thank you! Your application to", "Good news: your application to"),
     ("fi", "en", "Thank you! Your application to", "Good news: your application to")],
)  # fmt: skip
async def test_the_acknowledgement_and_decision_are_in_the_applicants_language_not_the_nodes(
    api, db, settings, world, anna, jazz, language, shown, thanks, welcome
) -> None:
    call = await make_call(db, settings, jazz, language="sv", title="Trumslagare")
    body = activity("Create", ALICE, reply(call.uri, jazz.uri, language=language))
    assert (await receive(db, settings, world, body)).status == "processed"
    [ack] = await sent(db, "Create")
    dm = ack.document["object"]
    assert thanks in dm["content"] and "Trumslagare" in dm["content"]
    assert list(dm["contentMap"]) == [shown] and "Tack" not in dm["content"]

    [app] = await applications(db)
    headers = await member_headers(db, anna)
    accepted = await api.post(f"/api/smart/v1/applications/{app.id}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.text
    _ack, told = await sent(db, "Create")
    decision = told.document["object"]
    assert welcome in decision["content"] and list(decision["contentMap"]) == [shown]
    assert decision["to"] == [ALICE] and "Goda nyheter" not in decision["content"]
