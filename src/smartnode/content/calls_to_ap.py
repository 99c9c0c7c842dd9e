"""Our open calls → AS2 Note with FEP-0837 proposal properties (pure).

Interop: Mastodon renders a Note fully and takes a Note's `summary` as a content warning, so a
call carries no `summary`: its title is the first line of `content` (and `name`, as FEP-0837
recommends), followed by the text, the terms in words and the hashtags. Servers that know
FEP-0837 read `purpose`, `publishes` and `reciprocal`; skills are DefinedTerm tags with their
ESCO URIs, as members' skills are.

FEP-0837 shape: a call requests a service, so the primary Intent (`#primary`) has
`action: "deliverService"` and a `resourceQuantity` (the effort, or one unit of work in `one`);
a paid call adds a reciprocal Intent (`#reciprocal`, `action: "transfer"`, the pay). `unitBased`
is false: each applicant commits to the whole effort and pay of one position, never a multiple.
`availableQuantity` is left out: it counts what an offer has in stock, and the effort of a
request is not in stock; the number of people sought is our `positions` (in `one` it would
mix units with an effort in days).

The terms are stored in `extra["call"]` (read only through call_terms.py):
title, occupation, skills [{uri, name}], languages, starts_on, ends_on (ISO dates), country,
city, remote, positions, effort {amount, unit}, paid {amount, currency, unit} or None.
"""

from __future__ import annotations

from typing import Any

from smartnode.actors.to_ap import iso
from smartnode.content.call_terms import CallTerms, call_terms
from smartnode.content.notes_to_ap import CONTENT_CONTEXT, note_to_ap
from smartnode.content.proposals import proposal_of, quantity_to_ap
from smartnode.federation.vocab import SMART_NS
from smartnode.storage.models import ContentObject

VF = "https://w3id.org/valueflows/ont/vf#"
OM2 = "http://www.ontology-of-units-of-measure.org/resource/om-2/"

#: FEP-0837 (Valueflows), schema.org and smartnode terms a call uses beyond CONTENT_CONTEXT.
CALL_TERMS: dict[str, Any] = {
    "vf": VF,
    "om2": OM2,
    "schema": "http://schema.org#",
    "sm": SMART_NS,
    "Proposal": "vf:Proposal",
    "Intent": "vf:Intent",
    "purpose": "vf:purpose",
    "unitBased": "vf:unitBased",
    "publishes": "vf:publishes",
    "reciprocal": "vf:reciprocal",
    "action": "vf:action",
    "resourceConformsTo": {"@id": "vf:resourceConformsTo", "@type": "@id"},
    "resourceQuantity": "vf:resourceQuantity",
    "hasBeginning": "vf:hasBeginning",
    "hasEnd": "vf:hasEnd",
    "hasUnit": "om2:hasUnit",
    "hasNumericalValue": "om2:hasNumericalValue",
    "DefinedTerm": "schema:DefinedTerm",
    "termCode": "schema:termCode",
    "PostalAddress": "schema:PostalAddress",
    "address": "schema:address",
    "addressCountry": "schema:addressCountry",
    "addressLocality": "schema:addressLocality",
    "positions": "sm:positions",
    "languages": "sm:languages",
    "remote": "sm:remote",
    "state": "sm:callState",
    "per": "sm:per",
}
CALL_CONTEXT: list[Any] = [*CONTENT_CONTEXT[:-1], {**CONTENT_CONTEXT[-1], **CALL_TERMS}]


def _intents(obj: ContentObject, terms: CallTerms) -> dict[str, Any]:
    proposal = proposal_of(obj.uri, obj.extra)
    work: dict[str, Any] = {
        "id": proposal.primary.id,
        "type": "Intent",
        "action": "deliverService",
        "resourceQuantity": quantity_to_ap(proposal.primary.quantity),
    }
    if terms.occupation:
        work["resourceConformsTo"] = terms.occupation
    if terms.starts_on:
        work["hasBeginning"] = terms.starts_on.isoformat()
    if terms.ends_on:
        work["hasEnd"] = terms.ends_on.isoformat()
    found: dict[str, Any] = {"purpose": "request", "unitBased": False, "publishes": work}
    paid, reciprocal = terms.paid, proposal.reciprocal
    if paid and reciprocal is not None:
        found["reciprocal"] = {
            "id": reciprocal.id,
            "type": "Intent",
            "action": "transfer",
            "resourceQuantity": quantity_to_ap(reciprocal.quantity),
            "per": paid.unit,
        }
    return found


def _location(terms: CallTerms) -> dict[str, Any] | None:
    if not terms.country:
        return None
    address = {"type": "PostalAddress", "addressCountry": terms.country}
    if terms.city:
        address["addressLocality"] = terms.city
    name = ", ".join(p for p in (terms.city, terms.country) if p)
    return {"type": "Place", "name": name, "address": address}


def call_to_ap(obj: ContentObject, author_uri: str, *, context: bool = True) -> dict[str, Any]:
    """A live call as served at its id and embedded in Create/Update."""
    doc = note_to_ap(obj, author_uri, context=False)
    doc.pop("summary", None)
    terms = call_terms(obj)
    doc.update(_intents(obj, terms))
    if terms.closes_at is not None:
        doc["endTime"] = iso(terms.closes_at)
    location = _location(terms)
    if location:
        doc["location"] = location
    doc["remote"] = terms.remote
    doc["positions"] = terms.positions
    doc["languages"] = terms.language_codes
    doc["state"] = terms.state
    return {"@context": CALL_CONTEXT, **doc} if context else doc
