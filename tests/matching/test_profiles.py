"""Matching profiles: validated input, private to the member and admins, stored with coordinates
rounded to ~10 km and every opt-in off unless the member turns it on."""

from __future__ import annotations

import secrets
from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from smartnode.accounts.tokens import hash_token
from smartnode.matching.curated import load_seed
from smartnode.matching.inputs import Location, MatchingProfileInput, OptIns, SkillEntry, Window
from smartnode.matching.terms import LANGUAGES
from smartnode.storage.models import Actor
from smartnode.storage.models_accounts import ApiToken
from smartnode.storage.models_matching import (
    LocalSkill,
    MatchingProfile,
    MemberAvailability,
    MemberLanguage,
    MemberSkill,
)
from smartnode.storage.models_profiles import MemberProfile
from tests.api.test_v1_auth import admin_headers
from tests.conftest import make_member, now

COMPOSE = "http://data.europa.eu/esco/skill/c109d892-3665-4743-877b-2ba23834e9e0"
SOUND_DESIGNER = "http://data.europa.eu/esco/occupation/790c8dca-f624-4bdc-ac16-27bc13ead188"
NOT_SEEDED = "http://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab"
PROFILE = {
    "skills": [
        {"uri": COMPOSE, "level": 3, "can_teach": True},
        {"uri": SOUND_DESIGNER, "level": 4},
        {"name": "TouchDesigner", "level": 2, "wants_to_learn": True},
    ],
    "languages": [{"language": "sv", "level": "native"}, {"language": "en", "level": "C1"}],
    "availability": [{"starts_on": "2027-03-01", "ends_on": "2027-03-10"}],
    "location": {"country": "se", "city": "Malmö", "latitude": 55.6049, "longitude": 13.0038},
    "remote_ok": True,
    "travel_radius_km": 300,
    "cross_border": True,
    "sectors": ["music", "performing arts"],
    "opt_ins": {"visible_to_nodes": True},
}
URL = "/api/smart/v1/members/astrid/matching-profile"


# ---------------------------------------------------------------- input rules


@pytest.mark.parametrize("level", [0, 5])
def test_skill_level_is_one_to_four(level: int) -> None:
    with pytest.raises(ValidationError, match="level"):
        SkillEntry(uri=COMPOSE, level=level)
    assert SkillEntry(uri=COMPOSE, level=1).level == 1 and SkillEntry(uri=COMPOSE, level=4)


def test_a_skill_is_exactly_one_of_uri_local_or_name() -> None:
    for given in ({}, {"uri": COMPOSE, "name": "composing"}):
        with pytest.raises(ValidationError, match="exactly one of uri, local or name"):
            SkillEntry.model_validate(given)
    with pytest.raises(ValidationError, match="is not an ESCO URI"):
        SkillEntry(uri="https://example.org/skills/compose")


@pytest.mark.parametrize("level", ["C3", "fluent", "c1", ""])
def test_language_levels_are_cefr_or_native(level: str) -> None:
    with pytest.raises(ValidationError):
        MatchingProfileInput.model_validate({"languages": [{"language": "sv", "level": level}]})
    levels = ["A1", "A2", "B1", "B2", "C1", "C2", "native"]
    data = MatchingProfileInput.model_validate(
        {
            "languages": [
                {"language": lang, "level": lvl}
                for lang, lvl in zip(LANGUAGES, levels, strict=True)
            ]
        }
    )
    assert [entry.level for entry in data.languages] == levels
    with pytest.raises(ValidationError, match="each language may be given once"):
        MatchingProfileInput.model_validate(
            {"languages": [{"language": "sv", "level": "C1"}, {"language": "sv", "level": "B1"}]}
        )


def test_availability_windows_must_be_in_order() -> None:
    with pytest.raises(ValidationError, match="must not end before it starts"):
        Window(starts_on=date(2027, 3, 10), ends_on=date(2027, 3, 1))
    assert Window(starts_on=date(2027, 3, 1), ends_on=date(2027, 3, 1))


def test_coordinates_are_rounded_to_about_ten_kilometres() -> None:
    place = Location(latitude=55.6049, longitude=13.0038)
    assert (place.latitude, place.longitude) == (55.6, 13.0)
    assert Location(latitude=-33.87, longitude=151.21).model_dump()["latitude"] == -33.9
    with pytest.raises(ValidationError, match="both latitude and longitude"):
        Location(latitude=55.6)
    with pytest.raises(ValidationError):
        Location(latitude=91, longitude=0)


def test_every_opt_in_defaults_to_off() -> None:
    assert OptIns().model_dump() == dict.fromkeys(
        ("listed", "visible_to_nodes", "suggestions", "indexable", "found_by_peers"), False
    )
    assert MatchingProfileInput().opt_ins == OptIns()
    with pytest.raises(ValidationError):
        MatchingProfileInput.model_validate({"opt_ins": {"everything": True}})


# ---------------------------------------------------------------- the API


async def arrange(db, settings) -> Actor:
    async with db.session() as s, s.begin():
        await load_seed(s, now())
    return await make_member(
        db, settings, "astrid", language="sv", country="SE", city="Lund", skills=["sound design"]
    )


async def member_headers(db, actor: Actor) -> dict[str, str]:
    """A member token acting for `actor` (scope `member`, bound by actor_id)."""
    token = secrets.token_urlsafe(32)
    async with db.session() as s, s.begin():
        s.add(ApiToken(token_hash=hash_token(token), label=f"{actor.username} phone",
                       scope="member", actor_id=actor.id, created_at=now()))  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


async def test_member_sets_and_reads_their_profile(client, db, settings) -> None:
    astrid = await arrange(db, settings)
    headers = await member_headers(db, astrid)

    put = await client.put(URL, json=PROFILE, headers=headers)
    assert put.status_code == 200, put.text
    body = put.json()
    assert [(s["label"], s["level_name"], s["kind"]) for s in body["skills"]] == [
        ("ljuddesigner", "expert", "occupation"),
        ("komponera musik", "advanced", "skill"),
        ("TouchDesigner", "intermediate", "local"),
    ]
    assert body["skills"][1]["can_teach"] and body["skills"][2]["wants_to_learn"]
    assert body["skills"][2]["slug"] == "touchdesigner" and body["skills"][2]["uri"] is None
    assert body["location"] == {"country": "SE", "city": "Malmö", "latitude": 55.6,
                                "longitude": 13.0}  # fmt: skip
    assert body["languages"] == [{"language": "en", "level": "C1"},
                                 {"language": "sv", "level": "native"}]  # fmt: skip
    assert body["availability"] == [{"starts_on": "2027-03-01", "ends_on": "2027-03-10"}]
    assert body["opt_ins"] == {"listed": False, "visible_to_nodes": True, "suggestions": False,
                               "indexable": False, "found_by_peers": False}  # fmt: skip

    read = await client.get(URL + "?lang=fr", headers=headers)
    assert read.status_code == 200
    assert [s["label"] for s in read.json()["skills"]][:2] == [
        "concepteur sonore/conceptrice sonore",
        "composer de la musique",
    ]

    async with db.session() as s:
        row = await s.get(MatchingProfile, astrid.id)
        assert row is not None and (row.latitude, row.longitude) == (55.6, 13.0)
        assert (row.remote_ok, row.travel_radius_km, row.cross_border) == (True, 300, True)
        assert row.sectors == ["music", "performing arts"]
        assert (row.visible_to_nodes, row.suggestions) == (True, False)
        profile = await s.get(MemberProfile, astrid.id)
        assert profile is not None and (profile.country, profile.city) == ("SE", "Malmö")
        actor = await s.get(Actor, astrid.id)
        assert actor is not None and (actor.discoverable, actor.indexable) == (False, False)
        skills = (await s.execute(select(MemberSkill.concept_uri, MemberSkill.level))).all()
        assert sorted(skills, key=str) == sorted(
            [(COMPOSE, 3), (SOUND_DESIGNER, 4), (None, 2)], key=str
        )
        local = await s.scalar(select(LocalSkill))
        assert local is not None and (local.slug, local.labels) == (
            "touchdesigner",
            {"sv": "TouchDesigner"},
        )
        assert await s.scalar(select(func.count()).select_from(MemberLanguage)) == 2
        assert await s.scalar(select(func.count()).select_from(MemberAvailability)) == 1


async def test_a_new_put_replaces_everything_and_turns_opt_ins_off(client, db, settings) -> None:
    astrid = await arrange(db, settings)
    admin = await admin_headers(db)
    everything_on = {**PROFILE, "opt_ins": dict.fromkeys(
        ("listed", "visible_to_nodes", "suggestions", "indexable"), True)}  # fmt: skip
    assert (await client.put(URL, json=everything_on, headers=admin)).status_code == 200
    async with db.session() as s:
        actor = await s.get(Actor, astrid.id)
        assert actor is not None and actor.discoverable and actor.indexable

    cleared = await client.put(URL, json={}, headers=admin)
    assert cleared.status_code == 200
    body = cleared.json()
    assert body["skills"] == body["languages"] == body["availability"] == body["sectors"] == []
    assert not any(body["opt_ins"].values())
    assert body["location"]["city"] == "Malmö" and body["location"]["latitude"] is None
    async with db.session() as s:
        actor = await s.get(Actor, astrid.id)
        assert actor is not None and not actor.discoverable and not actor.indexable
        row = await s.get(MatchingProfile, astrid.id)
        assert row is not None and not row.visible_to_nodes and not row.suggestions
        assert await s.scalar(select(func.count()).select_from(MemberSkill)) == 0


async def test_only_the_member_or_an_admin_sees_the_profile(client, db, settings) -> None:
    astrid = await arrange(db, settings)
    bjorn = await make_member(db, settings, "bjorn")
    assert (
        await client.put(URL, json=PROFILE, headers=await member_headers(db, astrid))
    ).is_success

    anonymous = await client.get(URL)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    other = await client.get(URL, headers=await member_headers(db, bjorn))
    assert other.status_code == 403 and other.json()["code"] == "forbidden"
    refused = await client.put(URL, json={}, headers=await member_headers(db, bjorn))
    assert refused.status_code == 403
    admin = await client.get(URL, headers=await admin_headers(db))
    assert admin.status_code == 200 and len(admin.json()["skills"]) == 3
    missing = await client.get("/api/smart/v1/members/nobody/matching-profile",
                               headers=await admin_headers(db, "other"))  # fmt: skip
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"skills": [{"uri": NOT_SEEDED}]}, "not in this node's taxonomy"),
        ({"skills": [{"local": "qlab"}]}, "no local skill 'qlab'"),
        ({"skills": [{"uri": COMPOSE, "level": 5}]}, "less than or equal to 4"),
        ({"availability": [{"starts_on": "2027-03-10", "ends_on": "2027-03-01"}]}, "end before"),
        ({"location": {"latitude": 55.6}}, "both latitude and longitude"),
        ({"sectors": ["finance"]}, "sectors"),
    ],
)
async def test_invalid_profiles_are_refused_and_change_nothing(
    client, db, settings, change, message
) -> None:
    astrid = await arrange(db, settings)
    admin = await admin_headers(db)
    assert (await client.put(URL, json=PROFILE, headers=admin)).status_code == 200
    refused = await client.put(URL, json={**PROFILE, **change}, headers=admin)
    assert refused.status_code == 422
    assert message in refused.json()["error"]
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(MemberSkill)) == 3
        row = await s.get(MatchingProfile, astrid.id)
        assert row is not None and row.latitude == 55.6


async def test_the_taxonomy_is_searchable_by_anyone_with_attribution(client, db, settings) -> None:
    await arrange(db, settings)
    found = await client.get("/api/smart/v1/skills", params={"q": "Komponera", "lang": "sv"})
    assert found.status_code == 200
    body = found.json()
    assert body["items"][0] == {
        "uri": COMPOSE, "slug": None, "kind": "skill", "label": "komponera musik",
        "language": "sv", "matched": None, "provenance": "smartnode-translation",
    }  # fmt: skip
    assert body["attribution"].startswith("This service uses the ESCO classification")
    occupations = await client.get(
        "/api/smart/v1/skills", params={"q": "sound", "kind": "occupation"}
    )
    assert {i["kind"] for i in occupations.json()["items"]} == {"occupation"}
    assert (await client.get("/api/smart/v1/skills", params={"q": ""})).status_code == 422
    assert (
        await client.get("/api/smart/v1/skills", params={"q": "x", "lang": "x1"})
    ).status_code == 422


async def test_admins_add_local_skills_that_search_finds(client, db, settings) -> None:
    await arrange(db, settings)
    admin = await admin_headers(db)
    body = {"labels": {"en": "QLab", "sv": "QLab"}, "same_as": SOUND_DESIGNER}
    assert (await client.post("/api/smart/v1/skills/local", json=body)).status_code == 401
    made = await client.post("/api/smart/v1/skills/local", json=body, headers=admin)
    assert made.status_code == 201 and made.json()["slug"] == "qlab"
    again = await client.post("/api/smart/v1/skills/local", json=body, headers=admin)
    assert again.status_code == 409
    unknown = {"labels": {"en": "Isadora"}, "same_as": NOT_SEEDED}
    assert (
        await client.post("/api/smart/v1/skills/local", json=unknown, headers=admin)
    ).status_code == 422
    found = (await client.get("/api/smart/v1/skills", params={"q": "qla", "lang": "sv"})).json()
    assert [(i["kind"], i["slug"], i["label"]) for i in found["items"]] == [
        ("local", "qlab", "QLab")
    ]
    async with db.session() as s:
        local = await s.scalar(select(LocalSkill).where(LocalSkill.slug == "qlab"))
        assert local is not None and local.same_as_uri == SOUND_DESIGNER
