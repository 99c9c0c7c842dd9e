"""A call's terms have one typed reader, and "is the call open" one rule, in Python and SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from smartnode.content.call_terms import (
    CallTerms,
    Effort,
    Pay,
    WantedSkill,
    call_terms,
    open_calls,
    read_terms,
)
from smartnode.storage.models import Actor, ContentObject
from tests.conftest import make_member

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
SKILL = "http://data.europa.eu/esco/skill/2aeadb90-7ddc-4329-9268-8d5a6bf76b99"
STORED: dict[str, Any] = {
    "title": "Dancers for Carmen", "occupation": None,
    "skills": [{"uri": SKILL, "name": "perform dances"}], "languages": ["sv", "en"],
    "starts_on": "2027-03-01", "ends_on": "2027-04-30", "country": "SE", "city": "Malmö",
    "remote": False, "positions": 2, "effort": {"amount": "40", "unit": "day"},
    "paid": {"amount": "3000", "currency": "EUR", "unit": "month"},
}  # fmt: skip


def test_stored_terms_read_back_typed_and_write_back_the_same() -> None:
    terms = read_terms({"call": STORED, "source": {}}, name="ignored", state="closed")
    assert terms.title == "Dancers for Carmen" and terms.state == "closed"
    assert terms.skills == (WantedSkill(SKILL, "perform dances"),)
    assert terms.languages == (("sv", None), ("en", None)) and terms.language_codes == ["sv", "en"]
    assert (terms.starts_on, terms.ends_on) == (date(2027, 3, 1), date(2027, 4, 30))
    assert (terms.country, terms.city, terms.remote, terms.positions) == ("SE", "Malmö", False, 2)
    assert terms.effort == Effort("40", "day") and terms.paid == Pay("3000", "EUR", "month")
    assert terms.stored() == STORED


def test_flat_and_tolerant_shapes_are_read_and_junk_is_dropped() -> None:
    flat = read_terms({"place": {"country": "fr", "latitude": 48.9, "longitude": 2.4},
                       "remote": 1, "sectors": ["music", 3]}, name="From the name")  # fmt: skip
    assert (flat.title, flat.country, flat.remote) == ("From the name", "FR", False)
    assert (flat.latitude, flat.longitude, flat.sectors) == (48.9, 2.4, ("music",))
    junk = read_terms({"call": {"skills": [{"uri": SKILL, "level": 9, "required": True}, 5, {}],
                                "languages": [{"language": "EN", "level": "C1"}, None],
                                "positions": -3, "effort": {"unit": "day"}, "paid": "lots",
                                "starts_on": "not a date", "country": "Sweden"}})  # fmt: skip
    assert junk.skills == (WantedSkill(SKILL, None, 1, True),)
    assert junk.languages == (("en", "C1"),) and junk.positions == 1
    assert (junk.effort, junk.paid, junk.starts_on, junk.country) == (None, None, None, None)
    assert read_terms(None) == CallTerms() and read_terms("x", state="weird").state == "open"


@pytest.mark.parametrize(
    ("state", "closes_in", "reason"),
    [
        ("open", None, None),
        ("open", timedelta(days=1), None),
        ("open", timedelta(0), "deadline has passed"),
        ("closed", timedelta(days=1), "the call is closed"),
        ("filled", None, "the call is filled"),
        (None, None, None),
    ],
)
def test_is_open_says_why_not(state, closes_in, reason) -> None:
    closes = NOW + closes_in if closes_in is not None else None
    terms = call_terms(ContentObject(extra={}, name="x", state=state, closes_at=closes))
    assert terms.is_open(NOW) is (reason is None)
    found = terms.closed_because(NOW)
    assert found is None if reason is None else reason in found


async def test_open_calls_in_sql_agrees_with_is_open(db, settings) -> None:
    project = await make_member(db, settings, "opera")
    cases = [("open", None), ("open", timedelta(hours=1)), ("open", -timedelta(seconds=1)),
             ("open", timedelta(0)), ("closed", None), ("filled", timedelta(days=3))]  # fmt: skip
    async with db.session() as s, s.begin():
        for number, (state, closes_in) in enumerate(cases):
            uri = f"https://se.smart.test/calls/{number}"
            s.add(ContentObject(
                uri=uri, local=True, actor_id=project.id, ap_type="Note", kind="call",
                state=state, url=uri, visibility="public", audience={}, sensitive=False,
                attachments=[], tags=[], extra={"call": STORED}, content="", content_map={},
                closes_at=NOW + closes_in if closes_in is not None else None,
                published_at=NOW, updated_at=NOW,
            ))  # fmt: skip
    async with db.session() as s:
        rows = (await s.scalars(select(ContentObject).order_by(ContentObject.id))).all()
        in_sql = set((await s.scalars(select(ContentObject.id).where(open_calls(NOW)))).all())
        assert await s.get(Actor, project.id) is not None
    assert in_sql == {row.id for row in rows if call_terms(row).is_open(NOW)}
    assert len(in_sql) == 2
