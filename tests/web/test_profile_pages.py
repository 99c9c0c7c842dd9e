"""A member edits their own profile in the browser: every part of it saved through the domain's
use case, one Update{Person} federated as the native API's profile change sends it, ESCO skills
found without JavaScript in the page's language, and the refusals (signed out, bad CSRF, bad
input) with nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smartnode.matching.curated import load_seed
from smartnode.storage.models import Actor
from smartnode.storage.models_matching import (
    MatchingProfile,
    MemberAvailability,
    MemberLanguage,
    MemberSkill,
)
from smartnode.storage.models_profiles import MemberProfile
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.content import activities, add_follower, fan_out, node_client
from tests.inbox import Fediverse

PERFORM = "http://data.europa.eu/esco/skill/2aeadb90-7ddc-4329-9268-8d5a6bf76b99"
TEACH = "http://data.europa.eu/esco/skill/c6f88b89-ce2c-4b8c-a133-7ee95bc48efa"
ALICE = "https://mastodon.example/users/alice"
PATH = "/account/profile"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    return fediverse


@pytest.fixture
async def browser(settings, world, db) -> AsyncIterator[httpx.AsyncClient]:
    async with db.session() as s, s.begin():
        await load_seed(s, datetime.now(UTC))
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def anna(db, settings) -> Actor:
    return await member_with_password(db, settings, "anna", name="Anna", language="sv",
                                      country="SE", city="Lund")  # fmt: skip


def filled(fields: dict[str, str], **changes: Any) -> dict[str, Any]:
    """The form as a browser sends it: the hidden fields plus the visible ones."""
    base = {"name": "Anna Lind", "language": "sv", "summary": "Jag sjunger.\n\nOch spelar.",
            "bio_en": "I sing.",
            "country": "SE", "city": "Malmö", "level_sv": "native", "level_en": "C1",
            "other_language": "ar", "other_level": "B1",
            "window_from_0": "2027-03-01", "window_to_0": "2027-03-10",
            "link_url_0": "https://anna.example/portfolio", "link_name_0": "",
            "listed": "1", "suggestions": "1", "remote_ok": "1"}  # fmt: skip
    return {**fields, **base, **changes}


async def _row(db, model: Any, actor: Actor) -> Any:
    async with db.session() as s:
        return await s.get(model, actor.id)


async def test_a_member_saves_every_part_and_one_update_goes_to_followers(
    browser, db, settings, anna
) -> None:
    await add_follower(db, anna, ALICE)
    await sign_in(browser, "anna")
    page = await browser.get(PATH)
    assert page.status_code == 200 and 'action="/account/profile"' in page.text
    assert page.headers["cache-control"] == "no-store"
    found = await browser.post(PATH, data=filled(hidden_fields(page.text), skill_q="danc",
                                                 find="skills"))  # fmt: skip
    assert found.status_code == 200 and await activities(db, "Update") == []
    fields = hidden_fields(found.text)
    index = {
        v: k.removeprefix("skill_value_") for k, v in fields.items() if k.startswith("skill_v")
    }
    assert PERFORM in index and TEACH in index and 'value="Anna Lind"' in found.text
    i = index[PERFORM]
    saved = await browser.post(PATH, data=filled(fields, **{f"skill_keep_{i}": "1",
                                                            f"skill_level_{i}": "4",
                                                            f"skill_teach_{i}": "1"}))  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"] == f"{PATH}?saved=1"
    actor = await _row(db, Actor, anna)
    assert (actor.name, actor.icon_url) == ("Anna Lind", None)  # no picture chosen: none
    assert actor.summary == "<p>Jag sjunger.</p><p>Och spelar.</p>"
    assert actor.summary_map == {"sv": actor.summary, "en": "<p>I sing.</p>"}
    assert (actor.discoverable, actor.indexable) == (True, False)
    profile = await _row(db, MemberProfile, anna)
    assert (profile.country, profile.city) == ("SE", "Malmö")
    assert profile.links == [{"name": "anna.example", "url": "https://anna.example/portfolio"}]
    assert sorted(profile.languages) == ["ar", "en", "sv"]
    matching = await _row(db, MatchingProfile, anna)
    assert (matching.suggestions, matching.visible_to_nodes) == (True, False)
    assert (matching.remote_ok, matching.cross_border) == (True, False)
    async with db.session() as s:
        [skill] = await s.scalars(select(MemberSkill))
        languages = {(r.language, r.level) for r in await s.scalars(select(MemberLanguage))}
        [window] = await s.scalars(select(MemberAvailability))
    assert (skill.concept_uri, skill.level, skill.can_teach) == (PERFORM, 4, True)
    assert languages == {("sv", "native"), ("en", "C1"), ("ar", "B1")}
    assert (window.starts_on, window.ends_on) == (date(2027, 3, 1), date(2027, 3, 10))
    [update] = await activities(db, "Update")
    assert update.document["object"]["name"] == "Anna Lind"
    assert "icon" not in update.document["object"]  # (tests/web/test_profile_picture.py)
    assert await fan_out(db, settings, update) == [f"{ALICE}/inbox"]
    again = await browser.get(f"{PATH}?saved=1")
    assert "Your profile is saved" in again.text and 'value="Anna Lind"' in again.text
    assert "Jag sjunger.\n\nOch spelar.</textarea>" in again.text
    assert f'name="skill_value_0" value="{PERFORM}"' in again.text


async def test_skills_are_found_in_the_pages_language(browser, db, settings, anna) -> None:
    await sign_in(browser, "anna")
    fields = hidden_fields((await browser.get(PATH)).text)
    english = await browser.post(PATH, data=filled(fields, skill_q="dance", find="skills"),
                                 headers={"Accept-Language": "en"})  # fmt: skip
    assert ">perform dances</label>" in english.text and '<html lang="en"' in english.text
    swedish = await browser.post(PATH, data=filled(fields, skill_q="dans", find="skills"),
                                 headers={"Accept-Language": "sv"})  # fmt: skip
    assert ">framföra dans</label>" in swedish.text and '<html lang="sv"' in swedish.text
    nothing = await browser.post(PATH, data=filled(fields, skill_q="zzqx", find="skills"))
    assert nothing.status_code == 200 and "No skill found for these words." in nothing.text
    assert await activities(db, "Update") == []


async def test_bad_input_comes_back_with_an_error_summary_and_nothing_is_written(
    browser, db, settings, anna
) -> None:
    await sign_in(browser, "anna")
    fields = hidden_fields((await browser.get(PATH)).text)
    not_a_picture = {"avatar": ("me.png", b"not a picture", "image/png")}
    bad = await browser.post(PATH, data=filled(fields, name="", window_from_0="2027-03-10",
                                               window_to_0="2027-03-01"),
                             files=not_a_picture)  # fmt: skip
    assert bad.status_code == 422 and 'class="error-summary"' in bad.text
    for anchor in ("#f-name", "#f-avatar", "#f-availability"):
        assert f'href="{anchor}"' in bad.text
    assert "This file is not a picture we can use" in bad.text
    assert 'value="Malmö"' in bad.text and 'aria-invalid="true"' in bad.text  # input kept
    assert (await _row(db, Actor, anna)).name == "Anna"
    assert await activities(db, "Update") == []


async def test_refusals_signed_out_and_without_csrf(browser, db, settings, anna) -> None:
    signed_out = await browser.get(PATH)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/signin")
    await sign_in(browser, "anna")
    fields = hidden_fields((await browser.get(PATH)).text)
    no_token = await browser.post(PATH, data=filled({}, name="Mallory"))
    assert no_token.status_code == 403
    foreign = await browser.post(PATH, data=filled(fields, name="Mallory"),
                                 headers={"Origin": "https://evil.example"})  # fmt: skip
    assert foreign.status_code == 403
    assert (await _row(db, Actor, anna)).name == "Anna"
    assert await activities(db, "Update") == []


async def test_the_account_page_and_the_own_public_page_lead_to_the_form(
    browser, db, settings, anna
) -> None:
    await member_with_password(db, settings, "bo")
    html = {"Accept": "text/html"}
    assert 'href="/account/profile"' not in (await browser.get("/members/anna", headers=html)).text
    await sign_in(browser, "anna")
    assert 'href="/account/profile"' in (await browser.get("/account")).text
    assert 'href="/account/profile"' in (await browser.get("/members/anna", headers=html)).text
    assert 'href="/account/profile"' not in (await browser.get("/members/bo", headers=html)).text


async def test_an_unchanged_bio_keeps_its_links(browser, db, settings) -> None:
    bio = '<p>See <a href="https://bo.example/work">my work</a>.</p>'
    bo = await member_with_password(db, settings, "bo", summary=bio)
    await sign_in(browser, "bo")
    page = await browser.get(PATH)
    assert "See my work.</textarea>" in page.text
    fields = {**hidden_fields(page.text), "name": "Bo", "language": "en", "summary": "See my work."}
    assert (await browser.post(PATH, data=fields)).status_code == 303
    actor = await _row(db, Actor, bo)
    assert 'href="https://bo.example/work"' in actor.summary and actor.summary_map == {
        "en": actor.summary
    }
    changed = {**fields, "summary": "New text."}
    assert (await browser.post(PATH, data=changed)).status_code == 303
    assert (await _row(db, Actor, bo)).summary == "<p>New text.</p>"


async def test_the_suggestions_are_esco_skills_in_the_viewers_language(
    browser, db, settings, anna
) -> None:
    assert (await browser.get(f"{PATH}/skills", params={"q": "dans"})).status_code == 401
    await sign_in(browser, "anna")
    swedish = await browser.get(f"{PATH}/skills", params={"q": "dans"},
                                headers={"Accept-Language": "sv"})  # fmt: skip
    assert {"uri": PERFORM, "label": "framföra dans"} in swedish.json()["items"]
    english = await browser.get(f"{PATH}/skills", params={"q": "danc"},
                                headers={"Accept-Language": "en"})  # fmt: skip
    assert {"uri": PERFORM, "label": "perform dances"} in english.json()["items"]
    assert (await browser.get(f"{PATH}/skills", params={"q": "d"})).json() == {"items": []}
    page = await browser.get(PATH)
    assert 'list="skill-suggestions"' in page.text and "/static/profile-skills.js" in page.text
