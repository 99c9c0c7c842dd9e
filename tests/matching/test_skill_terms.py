"""Skills on the wire: members who let other nodes see them carry DefinedTerm tags with ESCO URIs
(names in their own language) next to the Hashtags Mastodon shows; everyone else carries only
their free-tag Hashtags."""

from __future__ import annotations

import orjson
from sqlalchemy import select

from smartnode.actors.to_ap import member_to_ap
from smartnode.federation.vocab import ACTOR_CONTEXT
from smartnode.matching.curated import load_seed
from smartnode.matching.terms import SkillTerm, defined_terms
from smartnode.seed import seed_country
from smartnode.storage.models import Activity
from smartnode.storage.models_matching import MemberSkill
from smartnode.storage.models_profiles import MemberProfile
from tests.api.test_v1_auth import admin_headers
from tests.conftest import make_member, now

AS_JSON = {"Accept": "application/activity+json"}
COMPOSE = "http://data.europa.eu/esco/skill/c109d892-3665-4743-877b-2ba23834e9e0"
SOUND_DESIGNER = "http://data.europa.eu/esco/occupation/790c8dca-f624-4bdc-ac16-27bc13ead188"
PROFILE = {
    "skills": [{"uri": COMPOSE, "level": 4}, {"name": "TouchDesigner"}],
    "languages": [{"language": "sv", "level": "native"}],
}
URL = "/api/smart/v1/members/astrid/matching-profile"


async def arrange(client, db, settings, *, visible: bool) -> None:
    async with db.session() as s, s.begin():
        await load_seed(s, now())
    await make_member(db, settings, "astrid", language="sv", skills=["sound design", "mixing"])
    body = {**PROFILE, "opt_ins": {"visible_to_nodes": visible}}
    put = await client.put(URL, json=body, headers=await admin_headers(db))
    assert put.status_code == 200, put.text


def defined(document: dict) -> list[dict]:
    return [tag for tag in document["tag"] if tag["type"] == "DefinedTerm"]


def hashtag_names(document: dict) -> list[str]:
    return [tag["name"] for tag in document["tag"] if tag["type"] == "Hashtag"]


async def test_opted_in_member_carries_esco_defined_terms(client, db, settings) -> None:
    await arrange(client, db, settings, visible=True)
    response = await client.get("/members/astrid", headers=AS_JSON)
    assert response.status_code == 200
    document = response.json()
    assert defined(document) == [
        {"type": "DefinedTerm", "id": COMPOSE, "url": COMPOSE, "name": "komponera musik"},
        {"type": "DefinedTerm", "name": "TouchDesigner", "termCode": "touchdesigner"},
    ]
    assert hashtag_names(document) == ["#SoundDesign", "#Mixing"]
    extensions = document["@context"][-1]
    assert extensions["DefinedTerm"] == "schema:DefinedTerm"
    assert extensions["sameAs"] == {"@id": "schema:sameAs", "@type": "@id"}

    async with db.session() as s:  # the change went out to followers as Update{Person}
        update = await s.scalar(select(Activity).where(Activity.activity_type == "Update"))
    assert update is not None
    assert defined(update.document["object"])[0]["id"] == COMPOSE


async def test_member_who_did_not_opt_in_carries_free_tags_only(client, db, settings) -> None:
    await arrange(client, db, settings, visible=False)
    response = await client.get("/members/astrid", headers=AS_JSON)
    document = response.json()
    assert defined(document) == []
    assert hashtag_names(document) == ["#SoundDesign", "#Mixing"]
    assert "data.europa.eu" not in response.text and "TouchDesigner" not in response.text
    async with db.session() as s:
        update = await s.scalar(select(Activity).where(Activity.activity_type == "Update"))
    assert update is not None and "data.europa.eu" not in orjson.dumps(update.document).decode()


async def test_turning_visibility_off_removes_the_terms_from_the_served_document(
    client, db, settings
) -> None:
    await arrange(client, db, settings, visible=True)
    assert defined((await client.get("/members/astrid", headers=AS_JSON)).json())
    body = {**PROFILE, "opt_ins": {"visible_to_nodes": False}}
    assert (await client.put(URL, json=body, headers=await admin_headers(db, "2"))).is_success
    assert defined((await client.get("/members/astrid", headers=AS_JSON)).json()) == []


def test_member_to_ap_stays_pure_and_keeps_hashtags_without_skills(settings) -> None:
    from smartnode.federation.uris import NodeUris
    from smartnode.storage.models import Actor

    uris = NodeUris(settings.base_url, settings.domain)
    actor = Actor(uri=uris.member("anna"), local=True, kind="member", ap_type="Person",
                  username="anna", name="Anna", summary="", summary_map={}, language="sv",
                  public_key_pem="PEM", discoverable=False, indexable=False,
                  manually_approves_followers=False, also_known_as=[],
                  created_at=now(), updated_at=now())  # fmt: skip
    profile = MemberProfile(actor_id=1, country="SE", city="", languages=[], skills=["mixing"],
                            links=[])  # fmt: skip
    assert member_to_ap(actor, profile, uris)["tag"] == [
        {"type": "Hashtag", "href": uris.tag("Mixing"), "name": "#Mixing"}
    ]
    terms = [SkillTerm(name="QLab", slug="qlab", same_as=SOUND_DESIGNER)]
    assert member_to_ap(actor, profile, uris, terms)["tag"][0] == {
        "type": "DefinedTerm",
        "name": "QLab",
        "termCode": "qlab",
        "sameAs": SOUND_DESIGNER,
    }
    assert defined_terms([]) == [] and ACTOR_CONTEXT[-1]["termCode"] == "schema:termCode"


async def test_seeded_members_get_esco_skills_and_the_listed_ones_show_them(
    client, db, settings
) -> None:
    async with db.session() as s, s.begin():
        report = await seed_country(s, settings, "SE", now())
    assert "astrid" in report.members
    async with db.session() as s:
        uris = set(await s.scalars(select(MemberSkill.concept_uri)))
    assert SOUND_DESIGNER in uris and len(uris) >= 10
    document = (await client.get("/members/astrid", headers=AS_JSON)).json()
    assert document["discoverable"] is True
    assert SOUND_DESIGNER in [tag.get("id") for tag in defined(document)]
    assert defined(document)[0]["name"] == "ljuddesigner"  # in her language
    assert "#SoundDesign" in hashtag_names(document)


async def test_about_page_attributes_esco(client) -> None:
    page = await client.get("/about", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert (
        '<a href="https://esco.ec.europa.eu/">ESCO classification</a> of the European' in page.text
    )
