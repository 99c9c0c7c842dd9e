"""The HTML page of one of our open calls, with schema.org JobPosting JSON-LD for search engines
(api/objects.py negotiates and calls `call_page`)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.to_ap import iso
from smartnode.config import Settings
from smartnode.matching.feeds import call_terms
from smartnode.storage.models import Actor, ContentObject
from smartnode.web.notes import note_view, replies_view
from smartnode.web.pages import render

ESCO_SKILLS = "http://data.europa.eu/esco/skill"
SALARY_UNITS = {"hour": "HOUR", "day": "DAY", "week": "WEEK", "month": "MONTH", "year": "YEAR"}
#: What JSON may not carry raw inside <script>: `</script>`, `<!--`, and HTML line breaks.
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                   "\u2029": "\\u2029"}  # fmt: skip


def script_json(doc: dict[str, Any]) -> Markup:
    """JSON safe to put inside a <script> element: <, >, & and U+2028/9 as \\u escapes."""
    text = orjson.dumps(doc).decode()
    for raw, escaped in _SCRIPT_ESCAPES.items():
        text = text.replace(raw, escaped)
    return Markup(text)  # noqa: S704 - no <, > or & is left in it


def _amount(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _positions(value: Any) -> int:
    amount = _amount(value)
    return int(amount) if amount is not None and 1 <= amount <= 100_000 else 1


def _salary(paid: Any) -> dict[str, Any] | None:
    if not isinstance(paid, dict) or _amount(paid.get("amount")) is None:
        return None
    value: dict[str, Any] = {"@type": "QuantitativeValue", "value": _amount(paid["amount"])}
    unit = SALARY_UNITS.get(str(paid.get("unit")))
    if unit:
        value["unitText"] = unit
    return {"@type": "MonetaryAmount", "currency": str(paid.get("currency", "")), "value": value}


def _location(terms: dict[str, Any], posting: dict[str, Any]) -> None:
    country, city = terms.get("country"), terms.get("city")
    place = terms.get("place")
    if isinstance(place, dict):
        country, city = country or place.get("country"), city or place.get("city")
    if country:
        address = {"@type": "PostalAddress", "addressCountry": str(country)}
        if city:
            address["addressLocality"] = str(city)
        posting["jobLocation"] = {"@type": "Place", "address": address}
    if terms.get("remote") is True:
        posting["jobLocationType"] = "TELECOMMUTE"
        if country:
            posting["applicantLocationRequirements"] = {"@type": "Country", "name": str(country)}


def _skills(terms: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for skill in terms.get("skills") or []:
        if isinstance(skill, dict) and skill.get("name"):
            term = {"@type": "DefinedTerm", "name": str(skill["name"])}
            if skill.get("uri"):
                term.update(url=str(skill["uri"]), inDefinedTermSet=ESCO_SKILLS)
            found.append(term)
    return found


def job_posting(obj: ContentObject, project: Actor) -> dict[str, Any]:
    """A call as a schema.org JobPosting (Google's required and recommended properties)."""
    terms = call_terms(obj)
    salary = _salary(terms.get("paid"))
    posting: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": str(terms.get("title") or obj.name or ""),
        "description": obj.content,
        "datePosted": iso(obj.published_at),
        "url": obj.uri,
        "employmentType": "CONTRACTOR" if salary else "VOLUNTEER",
        "hiringOrganization": {
            "@type": "Organization",
            "name": project.name,
            "sameAs": project.uri,
            "url": project.uri,
        },
        "totalJobOpenings": _positions(terms.get("positions")),
        "directApply": False,
    }
    if obj.closes_at is not None:
        posting["validThrough"] = iso(obj.closes_at)
    if terms.get("starts_on"):
        posting["jobStartDate"] = str(terms["starts_on"])
    if salary:
        posting["baseSalary"] = salary
    if terms.get("occupation"):
        posting["occupationalCategory"] = str(terms["occupation"])
    if skills := _skills(terms):
        posting["skills"] = skills
    if project.icon_url:
        posting["hiringOrganization"]["logo"] = project.icon_url
    _location(terms, posting)
    return posting


async def call_page(
    request: Request, session: AsyncSession, obj: ContentObject, author: Actor
) -> Response:
    """The page at a live, readable call's id; open public calls carry JobPosting JSON-LD."""
    settings: Settings = request.app.state.settings
    project = await session.get(Actor, obj.project_id) if obj.project_id else None
    state = obj.state or "open"
    listed = obj.visibility == "public" and state == "open"
    return render(
        request,
        "call.html",
        headers={"Vary": "Accept"},
        n=note_view(obj, author, settings),
        replies=await replies_view(request, session, obj),
        state=state,
        closes=obj.closes_at.strftime("%d %B %Y, %H:%M UTC") if obj.closes_at else None,
        json_ld=script_json(job_posting(obj, project or author)) if listed else None,
        actor_uri=obj.uri,
        noindex=obj.visibility != "public",
    )
