"""The HTML page of one of our open calls, with schema.org JobPosting JSON-LD for search engines
(api/objects.py negotiates and calls `call_page`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.to_ap import iso
from smartnode.config import Settings
from smartnode.content.application_cases import may_decide
from smartnode.content.call_cases import may_change_call
from smartnode.content.call_terms import OPEN, CallTerms, Pay, call_terms
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_matching import SkillLabel
from smartnode.web.call_views import terms_view
from smartnode.web.forms import Csrf
from smartnode.web.i18n import using
from smartnode.web.notes import note_view, replies_view
from smartnode.web.pages import render
from smartnode.web.viewer import page_member, request_language

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


def _salary(paid: Pay | None) -> dict[str, Any] | None:
    amount = _amount(paid.amount) if paid else None
    if paid is None or amount is None:
        return None
    value: dict[str, Any] = {"@type": "QuantitativeValue", "value": amount}
    unit = SALARY_UNITS.get(paid.unit)
    if unit:
        value["unitText"] = unit
    return {"@type": "MonetaryAmount", "currency": paid.currency, "value": value}


def _amount(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _location(terms: CallTerms, posting: dict[str, Any]) -> None:
    country, city = terms.country, terms.city
    if country:
        address = {"@type": "PostalAddress", "addressCountry": country}
        if city:
            address["addressLocality"] = city
        posting["jobLocation"] = {"@type": "Place", "address": address}
    if terms.remote:
        posting["jobLocationType"] = "TELECOMMUTE"
        if country:
            posting["applicantLocationRequirements"] = {"@type": "Country", "name": country}


def _skills(terms: CallTerms) -> list[dict[str, Any]]:
    found = []
    for skill in terms.skills:
        if skill.name:
            found.append({"@type": "DefinedTerm", "name": skill.name, "url": skill.uri,
                          "inDefinedTermSet": ESCO_SKILLS})  # fmt: skip
    return found


def job_posting(obj: ContentObject, project: Actor) -> dict[str, Any]:
    """A call as a schema.org JobPosting (Google's required and recommended properties)."""
    terms = call_terms(obj)
    salary = _salary(terms.paid)
    posting: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": terms.title or "",
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
        "totalJobOpenings": terms.positions if terms.positions <= 100_000 else 1,
        "directApply": False,
    }
    if terms.closes_at is not None:
        posting["validThrough"] = iso(terms.closes_at)
    if terms.starts_on:
        posting["jobStartDate"] = terms.starts_on.isoformat()
    if salary:
        posting["baseSalary"] = salary
    if terms.occupation:
        posting["occupationalCategory"] = terms.occupation
    if skills := _skills(terms):
        posting["skills"] = skills
    if project.icon_url:
        posting["hiringOrganization"]["logo"] = project.icon_url
    _location(terms, posting)
    return posting


#: What a call's page is read from: the call and its replies, their authors and the project,
#: and the skill labels its terms are named by.
TABLES = frozenset({ContentObject.__tablename__, Actor.__tablename__, SkillLabel.__tablename__})


@dataclass(frozen=True, slots=True)
class CallShown:
    """What a call's page shows of the database, in one language and for every viewer (read
    only): kept as read (web/view_cache.py) while none of it changes."""

    obj: ContentObject
    project: Actor  # the call's project (its author when it names none)
    terms: CallTerms
    note: dict[str, Any]
    replies: dict[str, Any]
    shown_terms: dict[str, Any]
    json_ld: Markup | None


def page_key(request: Request, uri: str) -> tuple[str, ...]:
    """The kept views' key of the page at `uri` for this request: its language and which
    replies it shows."""
    settings: Settings = request.app.state.settings
    after = request.query_params.get("replies_after", "")
    shown = after if after.isascii() and after.isdigit() and len(after) < 19 else ""
    return ("call", uri, request_language(request, settings), shown)


async def call_shown(
    request: Request, session: AsyncSession, obj: ContentObject, author: Actor
) -> CallShown:
    """Read what the page of a live, readable call shows (in the request's language)."""
    settings: Settings = request.app.state.settings
    project = await session.get(Actor, obj.project_id) if obj.project_id else None
    terms = call_terms(obj)
    listed = obj.visibility == "public" and terms.state == OPEN
    with using(request_language(request, settings)):
        shown_terms = await terms_view(session, obj)
    return CallShown(
        obj=obj,
        project=project or author,
        terms=terms,
        note=note_view(obj, author, settings),
        replies=await replies_view(request, session, obj),
        shown_terms=shown_terms,
        json_ld=script_json(job_posting(obj, project or author)) if listed else None,
    )


async def call_page(request: Request, shown: CallShown) -> Response:
    """The page at a live, readable call's id: its state and terms in words, and the way to
    apply (a form for a signed-in member, sign-in or one's own server for a visitor); open
    public calls carry JobPosting JSON-LD. What depends on the viewer is found here, on each
    request."""
    settings: Settings = request.app.state.settings
    obj, terms = shown.obj, shown.terms
    viewer = await page_member(request)
    decides = changes = False
    if viewer is not None:
        async with request.app.state.db.session() as own, own.begin():
            decides = await may_decide(own, viewer.principal, shown.project)
            changes = await may_change_call(own, viewer.principal, obj)
    csrf = Csrf(request, settings) if viewer is not None else None
    headers = {"Vary": "Accept, Cookie"}
    if viewer is not None:  # a form bound to this browser: never in a shared cache
        headers["Cache-Control"] = "private, no-store"
    response = render(
        request,
        "call.html",
        headers=headers,
        n=shown.note,
        replies=shown.replies,
        state=terms.state,
        is_open=terms.is_open(datetime.now(UTC)),
        terms=shown.shown_terms,
        json_ld=shown.json_ld,
        actor_uri=obj.uri,
        noindex=obj.visibility != "public",
        member=viewer is not None,
        csrf=csrf.token if csrf else "",
        applied=request.query_params.get("applied") == "1",
        queue_url=f"{obj.uri}/applications" if decides else None,
        change_path=urlsplit(obj.uri).path if changes else None,
        signin_url="/signin?" + urlencode({"next": urlsplit(obj.uri).path + "#apply"}),
    )
    if csrf is not None:
        csrf.set_on(response)
    return response
