"""The FEP-0837 intents of a call (pure): what a call publishes and what an application must
commit to.

Our own calls derive them from their terms (call_terms.py); a remote call keeps the intents it
was received with in `extra["proposal"]` (see calls_from_ap), since its intent ids, units and
amounts need not be ours. Amounts are normalised decimal strings; None means any amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from smartnode.content.call_terms import read_terms

#: Unit of countable things (Ontology of units of Measure), FEP-0837's recommendation.
ONE = "one"


@dataclass(frozen=True, slots=True)
class Quantity:
    """`resourceQuantity`: a unit and an amount (None: any amount)."""

    unit: str
    amount: str | None


@dataclass(frozen=True, slots=True)
class Intent:
    """An Intent's id and quantity."""

    id: str
    quantity: Quantity


@dataclass(frozen=True, slots=True)
class Proposal:
    """The primary intent, the reciprocal one (paid calls) and `unitBased` (None: absent)."""

    primary: Intent
    reciprocal: Intent | None
    unit_based: bool | None


def decimal_of(value: Any) -> Decimal | None:
    """A finite decimal given as a number or a short string, else None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = Decimal(str(value)[:30])
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def normalised(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _intent(value: Any) -> Intent | None:
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        return None
    unit, amount = value.get("unit"), value.get("amount")
    if not isinstance(unit, str):
        return None
    return Intent(value["id"], Quantity(unit, amount if isinstance(amount, str) else None))


def _stored(call_uri: str, stored: dict[str, Any]) -> Proposal:
    primary = _intent(stored.get("primary")) or Intent(f"{call_uri}#primary", Quantity(ONE, None))
    unit_based = stored.get("unitBased")
    return Proposal(primary, _intent(stored.get("reciprocal")),
                    unit_based if isinstance(unit_based, bool) else None)  # fmt: skip


def proposal_of(call_uri: str, extra: Any) -> Proposal:
    """The intents of a stored call: as received for a remote call, else from its terms."""
    extra = extra if isinstance(extra, dict) else {}
    if isinstance(extra.get("proposal"), dict):
        return _stored(call_uri, extra["proposal"])
    terms = read_terms(extra)
    effort, paid = terms.effort, terms.paid
    work = Quantity(effort.unit, effort.amount) if effort else Quantity(ONE, "1")
    reciprocal = None
    if paid:
        money = Quantity(paid.currency, paid.amount)
        reciprocal = Intent(f"{call_uri}#reciprocal", money)
    return Proposal(Intent(f"{call_uri}#primary", work), reciprocal, False)


def proposal_extra(proposal: Proposal) -> dict[str, Any]:
    """A proposal as kept in a remote call's `extra["proposal"]`."""

    def intent(found: Intent | None) -> dict[str, Any] | None:
        if found is None:
            return None
        return {"id": found.id, "unit": found.quantity.unit, "amount": found.quantity.amount}

    return {"primary": intent(proposal.primary), "reciprocal": intent(proposal.reciprocal),
            "unitBased": proposal.unit_based}  # fmt: skip


def quantity_to_ap(quantity: Quantity) -> dict[str, str]:
    """`resourceQuantity` of an Intent (no amount: any amount may be offered)."""
    found = {"hasUnit": quantity.unit}
    if quantity.amount is not None:
        found["hasNumericalValue"] = quantity.amount
    return found


def committed(intent: Intent) -> dict[str, str]:
    """`resourceQuantity` of the Commitment that satisfies `intent`: the same unit and amount
    (one unit of work when the intent leaves the amount open)."""
    return {"hasUnit": intent.quantity.unit, "hasNumericalValue": intent.quantity.amount or "1"}


def terms_of(call_uri: str, extra: Any) -> dict[str, Any]:
    """A call's intents as an application keeps them (`applications.terms`)."""
    return proposal_extra(proposal_of(call_uri, extra))


def agreed_proposal(call_uri: str, terms: Any, extra: Any) -> Proposal:
    """The intents an application committed to: as kept when it was made, else the call's."""
    if isinstance(terms, dict) and isinstance(terms.get("primary"), dict):
        return _stored(call_uri, terms)
    return proposal_of(call_uri, extra)
