"""Arranging matching tests: the curated seed plus a few ESCO relations, members with matching
profiles (through the real service), projects and calls stored as the calls service stores
them (terms in extra["call"])."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select

from smartnode.actors.members import get_member
from smartnode.matching.curated import load_seed
from smartnode.matching.inputs import MatchingProfileInput
from smartnode.matching.notify import enqueue_call_matching
from smartnode.matching.profiles import set_matching_profile
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_matching import (
    OccupationSkill,
    SkillBroader,
    SkillConcept,
    SkillLabel,
)
from tests.conftest import make_member, make_project

ESCO = "http://data.europa.eu/esco/"
COMPOSE = f"{ESCO}skill/c109d892-3665-4743-877b-2ba23834e9e0"
ORCHESTRATE = f"{ESCO}skill/5e682b6e-1957-4146-9c05-2e2590760757"
WRITE_SONGS = f"{ESCO}skill/6034b475-1c5c-4695-a0db-46a7bfa4537c"
FILM_MUSIC = f"{ESCO}skill/684927a3-1d71-4b87-abb4-db204bb87086"
MIX = f"{ESCO}skill/16ac3d37-dd72-40c3-863d-dab1ded961be"
POST_PRODUCTION = f"{ESCO}skill/256df100-51cf-43b2-9a24-7277afa74707"
LIVE_SOUND = f"{ESCO}skill/e8bae3fe-6d8d-457e-a20b-6f8eea4d5402"
SOUND_DESIGNER = f"{ESCO}occupation/790c8dca-f624-4bdc-ac16-27bc13ead188"
COMPOSER = f"{ESCO}occupation/7dc05fcc-b079-45ed-b5d4-74c75f99976c"
#: A skill group made for the tests: composing, orchestrating and songwriting are siblings.
MUSIC_GROUP = f"{ESCO}skill/S1.0.0-test-creating-music"
MOMENT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


async def seed_taxonomy(db: Any) -> None:
    """The curated seed, a broader group of three music skills, the essential skills of a
    sound designer (mixing, audio post-production) and a composer (composing,
    orchestrating)."""
    async with db.session() as s, s.begin():
        await load_seed(s, MOMENT)
        s.add(SkillConcept(uri=MUSIC_GROUP, kind="skill_group", provenance="test",
                           updated_at=MOMENT))  # fmt: skip
        s.add(SkillLabel(concept_uri=MUSIC_GROUP, language="en", kind="preferred",
                         text="creating music", folded="creating music",
                         provenance="test"))  # fmt: skip
        await s.flush()
        for uri in (COMPOSE, ORCHESTRATE, WRITE_SONGS):
            s.add(SkillBroader(concept_uri=uri, broader_uri=MUSIC_GROUP))
        for uri in (MIX, POST_PRODUCTION):
            s.add(OccupationSkill(occupation_uri=SOUND_DESIGNER, skill_uri=uri,
                                  relation="essential"))  # fmt: skip
        for uri in (COMPOSE, ORCHESTRATE):
            s.add(OccupationSkill(occupation_uri=COMPOSER, skill_uri=uri,
                                  relation="essential"))  # fmt: skip
        s.add(OccupationSkill(occupation_uri=SOUND_DESIGNER, skill_uri=LIVE_SOUND,
                              relation="optional"))  # fmt: skip


async def member_with_profile(
    db: Any, settings: Any, username: str, profile: dict[str, Any], **fields: Any
) -> Actor:
    """A member whose matching profile is set through the real service."""
    await make_member(db, settings, username, **fields)
    data = MatchingProfileInput.model_validate(profile)
    async with db.session() as s, s.begin():
        actor, _ = await get_member(s, username)
        await set_matching_profile(s, actor, data, MOMENT)
    return actor


async def call_row(
    db: Any, project: Actor, terms: dict[str, Any], *, name: str, text: str = "", token: str,
    local: bool = True,
) -> ContentObject:  # fmt: skip
    """A call as the calls service (or, `local=False`, the inbox) stores it, and its matching
    job scheduled."""
    starts, ends = terms.get("starts_on"), terms.get("ends_on")
    host = "se.smart.test" if local else project.domain
    uri = f"https://{host}/calls/{token}"
    call = ContentObject(
        uri=uri, local=local, actor_id=project.id, project_id=project.id, ap_type="Note",
        kind="call", state="open", name=name, content=f"<p>{text}</p>", url=uri,
        visibility="public", audience={}, extra={"call": {"title": name, **terms}},
        starts_at=datetime.combine(date.fromisoformat(starts), time(), UTC) if starts else None,
        ends_at=datetime.combine(date.fromisoformat(ends), time(), UTC) if ends else None,
        published_at=MOMENT, updated_at=MOMENT, language="en",
    )  # fmt: skip
    async with db.session() as s, s.begin():
        s.add(call)
        await s.flush()
        enqueue_call_matching(s, call, MOMENT)
    return call


async def project(db: Any, settings: Any, name: str, coordinator: str) -> Actor:
    await make_project(db, settings, name, coordinator)
    async with db.session() as s:
        found = await s.scalar(select(Actor).where(Actor.kind == "project", Actor.name == name))
    assert found is not None
    return found
