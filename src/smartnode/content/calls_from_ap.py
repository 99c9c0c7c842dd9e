"""Remote open calls (FEP-0837 request Proposals, as `Proposal` or as `Note`) → KindTerms
(pure, tolerant).

Every value comes from a hostile document: what is malformed is dropped (never raises), text is
stripped of markup and capped, lists are capped, URIs must be http(s), numbers finite and in
range. The terms land in `extra["call"]` as `CallTerms.stored` writes them; the intents as
published (ids, units, amounts, `unitBased`) in `extra["proposal"]`, for the Agreement an
application offers (see proposals.py).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from smartnode.content.call_terms import OPEN, STATES, CallTerms, Effort, Pay, WantedSkill
from smartnode.content.calls_inputs import EFFORT_UNITS, MAX_SKILLS, PAY_UNITS
from smartnode.content.compose import plain_text
from smartnode.content.proposals import (
    ONE,
    Intent,
    Proposal,
    Quantity,
    decimal_of,
    normalised,
    proposal_extra,
)
from smartnode.content.terms import CALL, KindTerms, parse_time
from smartnode.federation.vocab import as_list, text_of
from smartnode.matching.terms import is_esco_uri

_LANG = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$")
_CODE2 = re.compile(r"^[A-Z]{2}$")
_CODE3 = re.compile(r"^[A-Z]{3}$")
_UNIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/#-]{0,63}$")  # an OM unit name or a URI


def is_call(doc: dict[str, Any]) -> bool:
    """True when a Note or Proposal carries FEP-0837 proposal properties of a request."""
    return doc.get("purpose") == "request" and isinstance(doc.get("publishes"), dict)


def is_proposal(doc: dict[str, Any]) -> bool:
    """True when the document's type is (or includes) FEP-0837's `Proposal`."""
    return "Proposal" in as_list(doc.get("type"))


def _text(value: Any, limit: int) -> str | None:
    found = plain_text(text_of(value, limit * 4))[:limit]
    return found or None


def _esco(value: Any) -> str | None:
    if isinstance(value, str) and len(value) <= 300 and is_esco_uri(value):
        return value if not any(c.isspace() for c in value) else None
    return None


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _amount(value: Any, low: int, high: int) -> str | None:
    """A finite decimal in [low, high] given as a number or a short string; normalised."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = Decimal(str(value)[:20])
    except InvalidOperation:
        return None
    if not number.is_finite() or not low <= number <= high:
        return None
    return format(number.normalize(), "f")


def _quantity(intent: Any, units: tuple[str, ...], low: int, high: int) -> dict[str, str] | None:
    if not isinstance(intent, dict) or not isinstance(intent.get("resourceQuantity"), dict):
        return None
    quantity = intent["resourceQuantity"]
    unit, amount = quantity.get("hasUnit"), _amount(quantity.get("hasNumericalValue"), low, high)
    if not isinstance(unit, str) or amount is None:
        return None
    if units and unit not in units:
        return None
    if not units and not _CODE3.match(unit):
        return None
    return {"amount": amount, "unit": unit}


def _skills(tags: Any) -> list[dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for tag in as_list(tags)[:200]:
        if not isinstance(tag, dict) or tag.get("type") != "DefinedTerm":
            continue
        uri = _esco(tag.get("id")) or _esco(tag.get("url"))
        if uri and uri not in found:
            found[uri] = {"uri": uri, "name": _text(tag.get("name"), 200) or uri}
    return list(found.values())[:MAX_SKILLS]


def _languages(value: Any) -> list[str]:
    codes = [v.lower() for v in as_list(value)[:50] if isinstance(v, str) and len(v) <= 20]
    return list(dict.fromkeys(c for c in codes if _LANG.match(c)))[:10]


def _place(doc: dict[str, Any]) -> tuple[str | None, str | None]:
    location = next((p for p in as_list(doc.get("location"))[:5] if isinstance(p, dict)), {})
    address = location.get("address")
    address = address if isinstance(address, dict) else {}
    country = address.get("addressCountry", location.get("country"))
    city = address.get("addressLocality", location.get("city"))
    code = country.upper() if isinstance(country, str) and len(country) == 2 else None
    return (code if code and _CODE2.match(code) else None), _text(city, 100)


def _positions(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1000:
        return value
    return 1


def _paid(doc: dict[str, Any]) -> dict[str, str] | None:
    reciprocal = doc.get("reciprocal")
    found = _quantity(reciprocal, (), 0, 100_000_000)
    if found is None or not isinstance(reciprocal, dict):
        return None
    per = reciprocal.get("per")
    unit = per if isinstance(per, str) and per in PAY_UNITS else "project"
    return {"amount": found["amount"], "currency": found["unit"], "unit": unit}


def _http(value: Any) -> str | None:
    if isinstance(value, str) and len(value) <= 2048 and value.startswith(("https://", "http://")):
        return value if not any(c.isspace() for c in value) else None
    return None


def _intent(value: Any, default_id: str) -> Intent | None:
    """An Intent as published: its id, unit (`one` when missing) and amount (None: any)."""
    if not isinstance(value, dict):
        return None
    quantity = value.get("resourceQuantity")
    quantity = quantity if isinstance(quantity, dict) else {}
    unit = quantity.get("hasUnit")
    amount = decimal_of(quantity.get("hasNumericalValue"))
    kept = normalised(amount) if amount is not None and 0 <= amount <= 10**12 else None
    return Intent(
        _http(value.get("id")) or default_id,
        Quantity(unit if isinstance(unit, str) and _UNIT.match(unit) else ONE, kept),
    )


def proposal_terms(doc: dict[str, Any]) -> dict[str, Any]:
    """What `extra["proposal"]` keeps of a remote call's intents."""
    uri = _http(doc.get("id")) or ""
    primary = _intent(doc.get("publishes"), f"{uri}#primary")
    unit_based = doc.get("unitBased")
    proposal = Proposal(
        primary or Intent(f"{uri}#primary", Quantity(ONE, None)),
        _intent(doc.get("reciprocal"), f"{uri}#reciprocal"),
        unit_based if isinstance(unit_based, bool) else None,
    )
    return proposal_extra(proposal)


def call_terms(doc: dict[str, Any]) -> KindTerms:
    """The terms of a remote call (what cannot be read is left out)."""
    publishes = doc.get("publishes")
    work: dict[str, Any] = publishes if isinstance(publishes, dict) else {}
    starts, ends = _day(work.get("hasBeginning")), _day(work.get("hasEnd"))
    if starts and ends and ends < starts:
        starts = ends = None
    country, city = _place(doc)
    state = doc.get("state")
    effort, paid = _quantity(work, EFFORT_UNITS, 0, 100_000), _paid(doc)
    terms = CallTerms(
        title=_text(doc.get("name"), 200),
        occupation=_esco(work.get("resourceConformsTo")),
        skills=tuple(WantedSkill(s["uri"], s["name"]) for s in _skills(doc.get("tag"))),
        languages=tuple((code, None) for code in _languages(doc.get("languages"))),
        starts_on=starts,
        ends_on=ends,
        country=country,
        city=city,
        remote=doc.get("remote") is True,
        positions=_positions(doc.get("positions")),
        effort=Effort(effort["amount"], effort["unit"]) if effort else None,
        paid=Pay(paid["amount"], paid["currency"], paid["unit"]) if paid else None,
    )
    return KindTerms(
        kind=CALL,
        extra={"call": terms.stored(), "proposal": proposal_terms(doc)},
        state=state if isinstance(state, str) and state in STATES else OPEN,
        starts_at=datetime.combine(starts, datetime.min.time(), UTC) if starts else None,
        ends_at=datetime.combine(ends, datetime.min.time(), UTC) if ends else None,
        closes_at=parse_time(doc.get("endTime")),
    )
