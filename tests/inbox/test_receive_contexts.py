"""The inbox edge and inline @context: a context that aliases a JSON-LD keyword or gives a term
we read as plain JSON another meaning is a 400 and nothing is stored; the contexts real
servers send pass."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models import InboxMessage
from tests.conftest import make_member
from tests.inbox import AS, Fediverse, count
from tests.inbox.test_receive import ALICE, ALICE_PUBLIC, follow, post

EVIL = "https://evil.example/ns#"


@pytest.fixture
def fediverse() -> Fediverse:
    world = Fediverse()
    world.actor(ALICE, pem=ALICE_PUBLIC)
    return world


@pytest.fixture
async def inbox(
    settings: Settings, db: Database, fediverse: Fediverse
) -> AsyncIterator[httpx.AsyncClient]:
    application: FastAPI = create_app(
        settings, outbound_transport=httpx.MockTransport(fediverse.handle)
    )
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url=settings.base_url
        ) as client,
    ):
        yield client


def _with_context(target: str, context: Any) -> dict[str, Any]:
    return {**follow(target), "@context": context}


def _create_note(target: str, note: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": f"{ALICE}#create/1",
        "type": "Create",
        "actor": ALICE,
        "to": [target],
        "object": {"id": f"{ALICE}/notes/1", "type": "Note", "attributedTo": ALICE, **note},
    }


#: Contexts that slipped through the check before (each was answered 202 and stored).
SLIPPED: dict[str, Any] = {
    "keyword key in a context": [AS, {"@type": "@id"}],
    "@id key in a context": [AS, {"@id": "https://evil.example/x"}],
    "nested @context key in a context": [AS, {"@context": {"uri": "@id"}}],
    "AS term actor to another IRI": [AS, {"actor": f"{EVIL}actor"}],
    "AS term object as expanded definition": [AS, {"object": {"@id": f"{EVIL}object"}}],
    "AS term to dropped (null)": [AS, {"to": None}],
    "AS term inReplyTo to another IRI": [AS, {"inReplyTo": {"@id": "as:context"}}],
    "AS prefix redefined": [AS, {"as": EVIL}],
    "AS term as opaque JSON": [AS, {"object": {"@id": "as:object", "@type": "@json"}}],
    "AS term as an id map": [AS, {"to": {"@id": "as:to", "@container": "@id"}}],
    "protected redefinition of type": [AS, {"@protected": True, "type": {"@id": "as:kind"}}],
    "type-scoped context on Follow": [
        AS,
        {"Follow": {"@id": "as:Follow", "@context": {"object": f"{EVIL}o"}}},
    ],
    "@vocab set to a keyword": [AS, {"@vocab": "@id"}],
    "@propagate not a boolean": [AS, {"@propagate": "yes"}],
    "term definition as a list": [AS, {"kind": ["@type"]}],
    "unknown key in a term definition": [AS, {"x": {"@id": "ex:x", "alias": "@id"}}],
    "security term owner to another IRI": [
        AS,
        "https://w3id.org/security/v1",
        {"owner": f"{EVIL}owner"},
    ],
}


@pytest.mark.parametrize("context", SLIPPED.values(), ids=SLIPPED.keys())
async def test_a_context_that_changes_what_we_read_is_400_and_stores_nothing(
    inbox, db, settings, fediverse, context
) -> None:
    anna = await make_member(db, settings, "anna")
    response = await post(inbox, "/inbox", _with_context(anna.uri, context))
    assert response.status_code == 400, response.text
    assert response.json()["error"]
    assert await count(db, InboxMessage) == 0


#: Keyword spellings in the document itself that a JSON-LD processor reads and we do not.
DOCUMENT_KEYWORDS: dict[str, dict[str, Any]] = {
    "@id beside id": {"@id": "https://evil.example/other"},
    "@type beside type": {"@type": "Delete"},
    "@nest moving properties": {"@nest": {"inReplyTo": "https://evil.example/n"}},
}


@pytest.mark.parametrize("extra", DOCUMENT_KEYWORDS.values(), ids=DOCUMENT_KEYWORDS.keys())
async def test_keyword_spellings_inside_an_embedded_object_are_400(
    inbox, db, settings, extra
) -> None:
    anna = await make_member(db, settings, "anna")
    create = _create_note(anna.uri, {"content": "hi", **extra})
    response = await post(inbox, "/inbox", create)
    assert response.status_code == 400, response.text
    assert await count(db, InboxMessage) == 0


async def test_aliasing_in_a_context_inside_an_embedded_object_is_400(inbox, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    create = _create_note(anna.uri, {"@context": {"attributedTo": f"{EVIL}by"}, "content": "x"})
    response = await post(inbox, "/inbox", create)
    assert response.status_code == 400
    assert "attributedTo" in response.json()["error"]
    assert await count(db, InboxMessage) == 0


async def test_the_error_names_the_term_and_what_it_was_made_to_mean(inbox, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    response = await post(inbox, "/inbox", _with_context(anna.uri, [AS, {"actor": f"{EVIL}a"}]))
    assert response.status_code == 400
    assert response.json()["error"] == (
        f"the context gives the ActivityStreams term 'actor' another meaning ({EVIL}a)"
    )


MASTODON_NOTE_CONTEXT = [
    AS,
    {
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
        "conversation": "ostatus:conversation",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "votersCount": "toot:votersCount",
        "Hashtag": "as:Hashtag",
    },
]
LEMMY_CONTEXT = [
    AS,
    "https://w3id.org/security/v1",
    {
        "lemmy": "https://join-lemmy.org/ns#",
        "sc": "http://schema.org/",
        "stickied": "lemmy:stickied",
        "moderators": {"@type": "@id", "@id": "lemmy:moderators"},
        "expires": "as:endTime",
        "language": "sc:inLanguage",
    },
]
PEERTUBE_CONTEXT = [
    AS,
    "https://w3id.org/security/v1",
    {
        "RsaSignature2017": "https://w3id.org/security#RsaSignature2017",
        "pt": "https://joinpeertube.org/ns#",
        "sc": "http://schema.org/",
        "location": {"@id": "sc:location", "@type": "sc:Place"},
        "likes": {"@id": "as:likes", "@type": "@id"},
        "comments": {"@id": "as:comments", "@type": "@id"},
    },
]
REPEATS_AS = [
    {"as": "https://www.w3.org/ns/activitystreams#"},
    AS,
    {"actor": {"@id": "as:actor", "@type": "@id"}, "to": {"@id": "as:to", "@container": "@set"}},
    {"@language": "sv", "@vocab": "_:", "@protected": True, "@version": 1.1},
]


@pytest.mark.parametrize(
    "context",
    [MASTODON_NOTE_CONTEXT, LEMMY_CONTEXT, PEERTUBE_CONTEXT, REPEATS_AS],
    ids=["mastodon", "lemmy", "peertube", "as-repeated"],
)
async def test_contexts_real_servers_send_are_accepted(inbox, db, settings, context) -> None:
    anna = await make_member(db, settings, "anna")
    response = await post(inbox, "/inbox", _with_context(anna.uri, context))
    assert response.status_code == 202, response.text
    assert await count(db, InboxMessage) == 1
