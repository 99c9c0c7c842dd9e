"""Members and projects through the service layer, asserted on the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from smartnode.actors.names import slugify
from smartnode.actors.projects import Role, team
from smartnode.errors import Conflict, NotFound, ValidationFailed
from smartnode.federation.keys import decrypt_private_key, load_private_key
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import MemberProfile, ProjectMember
from tests.conftest import TEST_SECRET, make_member, make_project


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Malmö Opera 2027", "malmo-opera-2027"),
        ("Straße der Künste", "strasse-der-kunste"),
        ("Ærø  Øresund -- Festival!", "aero-oresund-festival"),
        ("Łódź × Kraków", "lodz-krakow"),
    ],
)
def test_slugify_makes_ascii_slugs(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_slugify_refuses_names_without_ascii_letters() -> None:
    with pytest.raises(ValidationFailed):
        slugify("東京")


async def test_member_is_stored_with_encrypted_rsa_2048_key(db, settings) -> None:
    await make_member(
        db, settings, "anna", name="Anna Lindqvist", country="se", skills=["sound design"]
    )
    async with db.session() as s:
        actor = await s.scalar(select(Actor).where(Actor.username == "anna"))
        assert actor is not None and actor.local and actor.kind == "member"
        assert actor.uri == "https://se.smart.test/members/anna"
        assert actor.discoverable is False and actor.indexable is False
        assert "PRIVATE KEY" not in (actor.private_key_enc or "")
        key = load_private_key(
            decrypt_private_key(actor.private_key_enc or "", TEST_SECRET.encode())
        )
        assert key.key_size == 2048
        profile = await s.get(MemberProfile, actor.id)
        assert (
            profile is not None and profile.country == "SE" and profile.skills == ["sound design"]
        )


async def test_usernames_are_unique_across_members_and_projects(db, settings) -> None:
    await make_member(db, settings, "anna")
    with pytest.raises(Conflict):
        await make_member(db, settings, "anna")
    with pytest.raises(Conflict):
        await make_project(db, settings, "Anna", coordinator="anna")


async def test_project_gets_slug_and_coordinator(db, settings) -> None:
    await make_member(db, settings, "anna")
    project = await make_project(db, settings, "Malmö Opera 2027", coordinator="anna")
    assert project.username == "malmo-opera-2027"
    async with db.session() as s:
        rows = await team(s, project, limit=10)
        assert [(m.role, a.username) for m, a in rows] == [(Role.COORDINATOR.value, "anna")]
        assert len((await s.scalars(select(ProjectMember))).all()) == 1


async def test_project_needs_an_existing_coordinator(db, settings) -> None:
    with pytest.raises(NotFound):
        await make_project(db, settings, "Ghost Project", coordinator="nobody")
    async with db.session() as s:
        assert (await s.scalars(select(Actor).where(Actor.kind == "project"))).all() == []


async def test_summary_is_sanitised_and_authors_language_first(db, settings) -> None:
    actor = await make_member(
        db,
        settings,
        "erik",
        language="sv",
        summary='<p onclick="x()">Ljud<script>alert(1)</script></p>',
        summary_map={"en": "<b>Sound</b>"},
    )
    assert actor.summary == "<p>Ljud</p>"
    assert list(actor.summary_map) == ["sv", "en"]
