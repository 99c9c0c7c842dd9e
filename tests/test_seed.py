"""Seed data: plausible for each country, valid by the API's rules, seeded idempotently."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from smartnode.actors.names import to_ascii
from smartnode.actors.projects import team
from smartnode.errors import ValidationFailed
from smartnode.seed import COUNTRIES, load_country, seed_country
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import MemberProfile, Project
from tests.conftest import make_member, now

LOCAL_LANGUAGES = {
    "AT": {"de"}, "BE": {"nl", "fr", "de"}, "DE": {"de"}, "ES": {"es", "ca", "eu", "gl"},
    "FR": {"fr"}, "IT": {"it"}, "NL": {"nl"}, "SE": {"sv", "da"},
}  # fmt: skip
SECTORS = {
    "performing arts", "music", "film", "design", "games", "architecture", "education",
    "sustainability", "tech", "events", "media",
}  # fmt: skip


@pytest.mark.parametrize("country", COUNTRIES)
def test_each_country_has_a_plausible_cooperative(country: str) -> None:
    data = load_country(country)
    assert data.country == country and data.node_name.startswith("Smart ")
    assert 8 <= len(data.members) <= 10
    assert len({m.city for m in data.members}) >= 4
    assert any(m.name != to_ascii(m.name) for m in data.members)  # local names, diacritics
    for member in data.members:
        assert member.country == country
        assert member.languages[0] in LOCAL_LANGUAGES[country], member.username
        assert member.language in LOCAL_LANGUAGES[country], member.username
        assert 3 <= len(member.skills) <= 6, member.username
        assert member.summary and member.summary_map[member.language] == member.summary
        assert list(member.summary_map) == [member.language, "en"]
        assert member.indexable == member.discoverable
    hidden = [m for m in data.members if not m.discoverable]
    assert 1 <= len(hidden) <= 2


@pytest.mark.parametrize("country", COUNTRIES)
def test_each_country_has_projects_with_local_teams_and_one_cross_border(country: str) -> None:
    data = load_country(country)
    usernames = {m.username for m in data.members}
    assert 2 <= len(data.projects) <= 3
    for project in data.projects:
        assert project.coordinator in usernames and project.city
        assert {seat.username for seat in project.team} <= usernames - {project.coordinator}
        assert project.team and set(project.sectors) <= SECTORS
        assert list(project.summary_map) == [project.language, "en"]
    [cross_border] = [p for p in data.projects if p.partners]
    assert country not in cross_border.partners and set(cross_border.partners) <= set(COUNTRIES)
    assert "cross-border" in cross_border.summary_map["en"]


def test_unknown_country_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="no seed data for country 'CH'"):
        load_country("CH")


async def test_seeding_creates_members_projects_and_teams(db, settings) -> None:
    async with db.session() as s, s.begin():
        report = await seed_country(s, settings, "be", now())
    assert report.country == "BE" and len(report.members) == 9 and len(report.projects) == 3
    async with db.session() as s:
        countries = (await s.scalars(select(MemberProfile.country).distinct())).all()
        assert countries == ["BE"]
        project = await s.scalar(select(Actor).where(Actor.username == "grenzeloos-podium"))
        assert project is not None and project.ap_type == "Group"
        assert set(project.summary_map) == {"nl", "en"}
        assert project.summary == project.summary_map["nl"] and "grensgemeenten" in project.summary
        row = await s.get(Project, project.id)
        assert row is not None and (row.country, row.city) == ("BE", "Antwerpen")
        seats = {a.username: m.role for m, a in await team(s, project, limit=10)}
        assert seats == {
            "jef.peeters": "coordinator",
            "geert.vdb": "member",
            "annelies.claes": "member",
        }
        hidden = await s.scalar(select(Actor).where(Actor.username == "elodie.leclercq"))
        assert hidden is not None and not hidden.discoverable and not hidden.indexable


async def test_seeding_again_adds_nothing_and_keeps_existing_names(db, settings) -> None:
    await make_member(db, settings, "astrid", name="Astrid Operator")
    async with db.session() as s, s.begin():
        first = await seed_country(s, settings, "SE", now())
    assert "astrid" in first.skipped and len(first.members) == 8 and len(first.projects) == 3
    async with db.session() as s, s.begin():
        second = await seed_country(s, settings, "SE", now())
    assert second.members == [] and second.projects == []
    async with db.session() as s:
        astrid = await s.scalar(select(Actor).where(Actor.username == "astrid"))
        assert astrid is not None and astrid.name == "Astrid Operator"
        # The project coordinated by the operator's astrid was still made, with her as coordinator.
        project = await s.scalar(select(Actor).where(Actor.username == "lyssnande-stader"))
        assert project is not None
        seats = {a.username: m.role for m, a in await team(s, project, limit=10)}
        assert seats["astrid"] == "coordinator"


async def test_seeded_member_is_served_as_a_person_with_local_bio_first(
    db, settings, client
) -> None:
    async with db.session() as s, s.begin():
        await seed_country(s, settings, "SE", now())
    response = await client.get("/members/soren", headers={"Accept": "application/activity+json"})
    assert response.status_code == 200
    person = response.json()
    assert person["type"] == "Person" and person["name"] == "Søren Østergaard"
    assert "Øresund" in person["summary"] and person["summaryMap"]["da"] == person["summary"]
    assert "both sides of the Öresund" in person["summaryMap"]["en"]
    assert {"#LightingDesign", "#StageManagement"} <= {t["name"] for t in person["tag"]}
