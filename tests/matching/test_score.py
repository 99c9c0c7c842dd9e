"""The pure scoring core: hard filters, each component, bounds, diversity and explanations."""

from __future__ import annotations

from datetime import date

import pytest

from smartnode.matching.exchange import Learner, exchange, rank_exchanges
from smartnode.matching.explain import render, viewer_language
from smartnode.matching.rank import diversify, rank
from smartnode.matching.score import (
    Candidate,
    Facts,
    Need,
    Place,
    Wanted,
    available_days,
    distance_km,
    passes_filters,
    rarity,
    score,
    skills_fit,
)

ESCO = "http://data.europa.eu/esco/skill/"
COMPOSE, ARRANGE, MIX = f"{ESCO}compose", f"{ESCO}arrange", f"{ESCO}mix"
SOUND_DESIGNER = "http://data.europa.eu/esco/occupation/sound-designer"
FACTS = Facts(
    siblings={COMPOSE: frozenset({ARRANGE}), ARRANGE: frozenset({COMPOSE})},
    implied_by={MIX: frozenset({SOUND_DESIGNER})},
    holders={COMPOSE: 10, ARRANGE: 40, MIX: 90},
    population=100,
)
MALMO = Place(55.6, 13.0, "SE")
LUND = Place(55.7, 13.2, "SE")
COPENHAGEN = Place(55.7, 12.6, "DK")
PARIS = Place(48.9, 2.4, "FR")
MARCH = (date(2027, 3, 1), date(2027, 3, 10))
LABELS = {
    COMPOSE: {"en": "compose music", "sv": "komponera musik", "fr": "composer de la musique"},
    ARRANGE: {"en": "arrange music"},
    MIX: {"en": "mix multi-track recordings", "de": "Mehrspuraufnahmen mischen"},
    SOUND_DESIGNER: {"en": "sound designer", "de": "Sounddesigner"},
}


def member(member_id: int = 1, **fields: object) -> Candidate:
    base: dict[str, object] = {
        "node": "se.smart.test",
        "skills": {COMPOSE: 3},
        "languages": {"sv": "C2"},
        "windows": (MARCH,),
        "place": MALMO,
        "travel_radius_km": 100,
    }
    return Candidate(member_id=member_id, **{**base, **fields})  # type: ignore[arg-type]


def need(**fields: object) -> Need:
    base: dict[str, object] = {
        "required": (Wanted(COMPOSE, 3),),
        "languages": (("sv", "B2"),),
        "starts_on": MARCH[0],
        "ends_on": MARCH[1],
        "place": LUND,
    }
    return Need(**{**base, **fields})  # type: ignore[arg-type]


# ---------------------------------------------------------------- hard filters


def test_a_required_skill_is_met_exactly_or_implied_by_an_occupation_never_by_a_sibling() -> None:
    assert passes_filters(need(), member(), FACTS)
    assert not passes_filters(need(), member(skills={ARRANGE: 4}), FACTS)
    wants_mix = need(required=(Wanted(MIX),))
    assert passes_filters(wants_mix, member(skills={SOUND_DESIGNER: 4}), FACTS)
    assert not passes_filters(wants_mix, member(skills={COMPOSE: 4}), FACTS)
    # a sibling still counts for an optional skill
    optional = need(required=(), optional=(Wanted(COMPOSE),))
    assert passes_filters(optional, member(skills={ARRANGE: 2}), FACTS)


def test_required_languages_at_their_minimum_level() -> None:
    assert passes_filters(need(), member(languages={"sv": "B2"}), FACTS)
    assert passes_filters(need(), member(languages={"sv": "native"}), FACTS)
    assert not passes_filters(need(), member(languages={"sv": "B1"}), FACTS)
    assert not passes_filters(need(), member(languages={"en": "C2"}), FACTS)


def test_availability_must_overlap_the_period() -> None:
    assert passes_filters(need(), member(windows=((date(2027, 3, 10), date(2027, 4, 1)),)), FACTS)
    assert not passes_filters(
        need(), member(windows=((date(2027, 4, 1), date(2027, 4, 9)),)), FACTS
    )
    assert not passes_filters(need(), member(windows=()), FACTS)
    assert passes_filters(need(starts_on=None, ends_on=None), member(windows=()), FACTS)


def test_place_within_the_travel_radius_unless_remote() -> None:
    assert 600 < distance_km(MALMO, PARIS) < 1100 and distance_km(MALMO, MALMO) == 0
    assert not passes_filters(need(place=PARIS), member(), FACTS)
    assert passes_filters(
        need(place=PARIS), member(travel_radius_km=2000, cross_border=True), FACTS
    )
    assert passes_filters(need(place=PARIS, remote=True), member(), FACTS)
    assert passes_filters(need(place=PARIS), member(remote_ok=True), FACTS)
    # across a border only for members who go abroad
    assert not passes_filters(need(place=COPENHAGEN), member(), FACTS)
    assert passes_filters(need(place=COPENHAGEN), member(cross_border=True), FACTS)
    # no coordinates: the country decides
    assert passes_filters(need(place=Place(country="SE")), member(), FACTS)
    assert not passes_filters(need(place=Place(country="FR")), member(), FACTS)
    assert passes_filters(need(place=Place(country="FR")), member(place=Place()), FACTS)


# ---------------------------------------------------------------- components and bounds


def test_skill_fit_exact_implied_sibling_weighted_by_level_and_rarity() -> None:
    wanted = need(required=(), optional=(Wanted(COMPOSE, 3),))
    exact, _ = skills_fit(wanted, member(skills={COMPOSE: 3}), FACTS)
    sibling, parts = skills_fit(wanted, member(skills={ARRANGE: 3}), FACTS)
    weaker, _ = skills_fit(wanted, member(skills={COMPOSE: 1}), FACTS)
    assert (exact, sibling, weaker) == (1.0, 0.5, 0.5)
    assert parts == [{"kind": "skill", "uri": COMPOSE, "match": "sibling", "level": 3,
                      "via": ARRANGE}]  # fmt: skip
    implied, _ = skills_fit(
        need(required=(Wanted(MIX),)), member(skills={SOUND_DESIGNER: 4}), FACTS
    )
    assert implied == pytest.approx(0.7)
    assert rarity(COMPOSE, FACTS) > rarity(ARRANGE, FACTS) > rarity(MIX, FACTS) >= 1.0
    both = need(required=(), optional=(Wanted(COMPOSE), Wanted(MIX)))
    rare, _ = skills_fit(both, member(skills={COMPOSE: 4}), FACTS)
    common, _ = skills_fit(both, member(skills={MIX: 4}), FACTS)
    assert rare > 0.5 > common


def test_availability_counts_days_of_the_union_of_windows() -> None:
    windows = [(date(2027, 2, 20), date(2027, 3, 4)), (date(2027, 3, 3), date(2027, 3, 5))]
    assert available_days(windows, *MARCH) == 5
    assert available_days([(date(2027, 3, 9), date(2027, 3, 9))] * 2, *MARCH) == 1
    found = score(need(), member(windows=tuple(windows)), FACTS)
    assert found is not None and found.components["availability"] == 0.5


def test_each_component_and_the_score_stay_within_zero_and_one() -> None:
    cases = [
        member(),
        member(2, languages={"sv": "native", "en": "C1"}, skills={COMPOSE: 4, ARRANGE: 1}),
        member(3, place=Place(), windows=((date(2027, 3, 10), date(2027, 3, 10)),)),
        member(4, place=PARIS, remote_ok=True, text="composer of film music"),
    ]
    asks = [need(), need(text="film music composer wanted"), need(remote=True), need(place=None)]
    for ask in asks:
        for candidate in cases:
            found = score(ask, candidate, FACTS)
            assert found is not None
            assert 0.0 <= found.score <= 1.0
            assert all(0.0 <= v <= 1.0 for v in found.components.values())
    perfect = score(need(remote=True), member(languages={"sv": "native"}), FACTS)
    assert perfect is not None and perfect.score == 1.0


def test_place_decays_with_distance_and_remote_members_score_less() -> None:
    near = score(need(place=MALMO), member(), FACTS)
    farther = score(need(), member(), FACTS)
    afar = score(need(place=PARIS), member(remote_ok=True), FACTS)
    assert near and farther and afar
    assert near.components["place"] == 1.0 > farther.components["place"] > 0.5
    assert afar.components["place"] == 0.3


def test_text_relevance_is_word_overlap_on_folded_text() -> None:
    ask = need(text="<p>Kompositör för FILM-musik</p>")
    found = score(ask, member(text="kompositor, film"), FACTS)
    assert (
        found is not None and found.components["text"] == 0.5
    )  # 2 of kompositor, for, film, musik
    assert {"kind": "text", "words": ["film", "kompositor"]} in found.parts


# ---------------------------------------------------------------- ranking and diversity


def test_rank_applies_filters_threshold_and_limit() -> None:
    pool = [member(1), member(2, skills={COMPOSE: 1}), member(3, languages={})]
    ranked = rank(need(), pool, FACTS, limit=5, threshold=0.0, diversity=0.0)
    assert [m.candidate.member_id for m in ranked] == [1, 2]
    assert [m.candidate.member_id for m in rank(need(), pool, FACTS, threshold=0.95)] == [1]


def test_diversity_keeps_one_sector_from_filling_the_list() -> None:
    music = [member(i, sectors=("music",), skills={COMPOSE: 4}) for i in (1, 2, 3)]
    film = member(9, sectors=("film",), skills={COMPOSE: 3}, node="be.smart.test")
    matches = [m for m in (score(need(), c, FACTS) for c in [*music, film]) if m]
    plain = diversify(matches, 3, diversity=0.0)
    mixed = diversify(matches, 3)
    assert [m.candidate.member_id for m in plain] == [1, 2, 3]
    assert [m.candidate.member_id for m in mixed] == [1, 9, 2]


# ---------------------------------------------------------------- explanations


def test_explanations_render_in_the_viewers_language_with_taxonomy_labels() -> None:
    found = score(need(remote=True, languages=(("sv", "C1"),)), member(), FACTS)
    assert found is not None
    assert render(found.parts, "en", LABELS) == (
        "compose music ✓ advanced · Swedish C2 · available 10 of 10 days · remote"
    )
    assert render(found.parts, "sv", LABELS) == (
        "komponera musik ✓ avancerad · svenska C2 · tillgänglig 10 av 10 dagar · på distans"
    )
    assert render(found.parts, "fr", LABELS) == (
        "composer de la musique ✓ avancé · suédois C2 · disponible 10 jours sur 10 · à distance"
    )
    # no label in the viewer's language: English
    assert render(found.parts, "nl", LABELS).startswith("compose music ✓ gevorderd · Zweeds C2")
    assert viewer_language("pt") == "en" and viewer_language(None) == "en"


def test_explanations_of_implied_siblings_places_and_words() -> None:
    ask = need(required=(Wanted(MIX),), optional=(Wanted(COMPOSE),), languages=(),
               starts_on=None, place=MALMO, text="sound")  # fmt: skip
    candidate = member(skills={SOUND_DESIGNER: 4, ARRANGE: 2}, languages={}, text="Sound art")
    found = score(ask, candidate, FACTS)
    assert found is not None
    assert render(found.parts, "de", LABELS) == (
        "Mehrspuraufnahmen mischen ✓ über Sounddesigner, Experte · "
        "compose music ≈ arrange music, mittel · 0 km entfernt · erwähnt “sound”"
    )
    unknown = render([{"kind": "place", "mode": "country", "country": "SE"}], "es", {})
    assert unknown == "con base en SE"


# ---------------------------------------------------------------- exchange


def test_exchange_needs_both_ways_and_explains_itself() -> None:
    me = Learner(1, teaches={COMPOSE: 4}, learns=frozenset({MIX}), languages={"sv": "native"})
    both = Learner(2, teaches={MIX: 3}, learns=frozenset({COMPOSE}), languages={"sv": "B2"})
    one_way = Learner(3, teaches={MIX: 4}, learns=frozenset({ARRANGE}))
    foreign = Learner(4, teaches={MIX: 3}, learns=frozenset({COMPOSE}), languages={"fr": "C2"})
    assert exchange(me, one_way) is None and exchange(me, me) is None
    ranked = rank_exchanges(me, [one_way, foreign, both])
    assert [e.other.member_id for e in ranked] == [2, 4]
    assert ranked[0].score == pytest.approx(0.9375) and ranked[1].score == 0.4688
    assert render(ranked[0].parts, "en", LABELS) == (
        "can teach you mix multi-track recordings (advanced) · wants to learn compose music"
        " · Swedish B2"
    )
