"""Loading candidates: SQL leaves out, before anything is loaded, members who did not opt in,
remote actors, the excluded team and members failing the required skills, languages or dates;
the taxonomy facts come from the ESCO relations."""

from __future__ import annotations

from datetime import date

from smartnode.matching.candidates import load_candidates, load_facts
from smartnode.matching.score import Need, Wanted
from tests.matching.arrange import (
    COMPOSE,
    COMPOSER,
    MIX,
    ORCHESTRATE,
    SOUND_DESIGNER,
    WRITE_SONGS,
    member_with_profile,
    seed_taxonomy,
)
from tests.matching.test_notify import profile


async def test_facts_siblings_implications_and_rarity(db, settings) -> None:
    await seed_taxonomy(db)
    await member_with_profile(db, settings, "astrid", profile())
    await member_with_profile(db, settings, "bengt", profile())
    async with db.session() as s:
        facts = await load_facts(s, [COMPOSE, MIX, COMPOSER])
    assert facts.siblings[COMPOSE] == {ORCHESTRATE, WRITE_SONGS}
    assert facts.implied_by[MIX] == {SOUND_DESIGNER}
    assert facts.implied_by[COMPOSE] == {COMPOSER}
    assert facts.implied_by[COMPOSER] == {COMPOSE, ORCHESTRATE}
    assert facts.holders == {COMPOSE: 2} and facts.population == 2


async def test_the_pool_holds_only_opted_in_members_passing_the_sql_filters(db, settings) -> None:
    await seed_taxonomy(db)
    people = {
        "holder": await member_with_profile(db, settings, "holder", profile(listed=True)),
        "designer": await member_with_profile(
            db, settings, "designer",
            profile(listed=True, skills=[{"uri": SOUND_DESIGNER, "level": 3}]),
        ),
        "unlisted": await member_with_profile(db, settings, "unlisted", profile()),
        "english": await member_with_profile(
            db, settings, "english",
            profile(listed=True, languages=[{"language": "sv", "level": "A2"}]),
        ),
        "later": await member_with_profile(
            db, settings, "later",
            profile(listed=True, availability=[{"starts_on": "2027-05-01",
                                                "ends_on": "2027-05-09"}]),
        ),
        "team": await member_with_profile(db, settings, "team", profile(listed=True)),
    }  # fmt: skip
    need = Need(
        required=(Wanted(MIX),), optional=(Wanted(COMPOSE),), languages=(("sv", "B1"),),
        starts_on=date(2027, 3, 1), ends_on=date(2027, 3, 10),
    )  # fmt: skip
    async with db.session() as s:
        facts = await load_facts(s, [MIX, COMPOSE])
        required = await load_candidates(
            s, need, facts, "se.smart.test", opt_in="listed", exclude={people["team"].id}
        )
        relevant = await load_candidates(
            s, Need(optional=(Wanted(COMPOSE),)), facts, "se.smart.test", opt_in="listed",
            exclude={people["team"].id},
        )  # fmt: skip
        suggested = await load_candidates(
            s, Need(optional=(Wanted(COMPOSE),)), facts, "se.smart.test", opt_in="suggestions"
        )
    (designer,) = required
    assert designer.member_id == people["designer"].id
    assert designer.skills == {SOUND_DESIGNER: 3} and designer.languages == {"sv": "native"}
    assert designer.place.country == "SE" and designer.travel_radius_km == 100
    names = {a.id: n for n, a in people.items()}
    assert sorted(names[c.member_id] for c in relevant) == ["english", "holder", "later"]
    assert sorted(names[c.member_id] for c in suggested) == [
        "english", "holder", "later", "team", "unlisted"
    ]  # fmt: skip
