"""Checks of received FEP-0837 Agreements against the call they answer (pure).

An offered Agreement must stipulate a Commitment that satisfies the call's primary Intent, and
for a paid call a reciprocal Commitment that satisfies its reciprocal Intent; units are the
call's; amounts equal the call's when `unitBased` is false, are multiples of them when true,
and are free when the call says neither (or gives no amount). A finalized Agreement (an
Accept's `result`) must have its id on the project's origin.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from smartnode.content.proposals import Intent, Proposal, decimal_of, normalised
from smartnode.federation.vocab import as_list, id_of


def _amount_problem(name: str, amount: Decimal, intent: Intent, unit_based: bool | None) -> str:
    wanted = decimal_of(intent.quantity.amount)
    if wanted is None or unit_based is None:
        return "" if amount >= 0 else f"{name}: the amount may not be negative"
    unit = intent.quantity.unit
    if unit_based is False and amount != wanted:
        return f"{name}: the amount must be {normalised(wanted)} {unit}, as the call asks"
    if unit_based and (amount <= 0 or (wanted and amount % wanted != 0)):
        return f"{name}: the amount must be a multiple of {normalised(wanted)} {unit}"
    return ""


def _commitment_problem(name: str, value: Any, intent: Intent, unit_based: bool | None) -> str:
    """Why `value` is not a Commitment satisfying `intent` ('' when it is)."""
    if not isinstance(value, dict) or "Commitment" not in as_list(value.get("type")):
        return f"{name} is not a Commitment"
    if id_of(value.get("satisfies")) != intent.id:
        return f"{name} does not satisfy the call's intent {intent.id}"
    quantity = value.get("resourceQuantity")
    if not isinstance(quantity, dict) or not isinstance(quantity.get("hasUnit"), str):
        return f"{name} has no resourceQuantity with a unit"
    if quantity["hasUnit"] != intent.quantity.unit:
        return f"{name}: the unit must be {intent.quantity.unit!r}, as in the call"
    amount = decimal_of(quantity.get("hasNumericalValue"))
    if amount is None:
        return f"{name} has no numerical amount"
    return _amount_problem(name, amount, intent, unit_based)


def agreement_problem(agreement: dict[str, Any], proposal: Proposal) -> str:
    """Why an offered Agreement does not answer the call ('' when it does)."""
    primary = _commitment_problem(
        "stipulates", agreement.get("stipulates"), proposal.primary, proposal.unit_based
    )
    if primary:
        return primary
    reciprocal = agreement.get("stipulatesReciprocal")
    if proposal.reciprocal is None:
        return "the call asks for nothing in return: no stipulatesReciprocal" if reciprocal else ""
    if reciprocal is None:
        return "the call is paid: the Agreement must stipulate the pay (stipulatesReciprocal)"
    return _commitment_problem(
        "stipulatesReciprocal", reciprocal, proposal.reciprocal, proposal.unit_based
    )


def _origin(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    return parts.scheme, parts.netloc.lower()


def finalized_id(result: Any, proposal: Proposal, project_uri: str) -> str | None:
    """The id of an Accept's finalized Agreement when it is one for this call and on the
    project's origin; None otherwise."""
    agreement_uri = id_of(result)
    if not agreement_uri or _origin(agreement_uri) != _origin(project_uri):
        return None
    if isinstance(result, dict):
        if "Agreement" not in as_list(result.get("type")):
            return None
        stipulates = result.get("stipulates")
        if stipulates is not None and (
            not isinstance(stipulates, dict)
            or id_of(stipulates.get("satisfies")) != proposal.primary.id
        ):
            return None
    return agreement_uri
