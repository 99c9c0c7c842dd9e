"""A call's content from the coordinator's input (its `extra["source"]`): the title, the text
and the terms in words in each language version, the hashtags, the skills as DefinedTerms, and
while the call is open a last line saying how to apply from Mastodon, with its Mention.

Interop: Mastodon links a mention in `content` only when a Mention tag names the account and
the link's `href` is the account's `url` (our actors' `url` is their id), so the apply line's
mention of the project comes with a Mention tag of the project.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.handles import handle_for
from smartnode.actors.to_ap import hashtag_name, iso
from smartnode.content.call_terms import OPEN, CallTerms, Effort, Pay, WantedSkill, call_terms
from smartnode.content.calls_federate import call_author
from smartnode.content.calls_inputs import CallInput
from smartnode.content.calls_wording import apply_html, terms_html
from smartnode.content.compose import body_html, plain_text, text_hashtags
from smartnode.errors import ValidationFailed
from smartnode.federation.sanitize import clean_html, escape_text
from smartnode.federation.uris import NodeUris
from smartnode.matching.taxonomy import preferred_labels
from smartnode.matching.terms import SkillTerm, defined_terms
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_matching import SkillConcept


def _number(value: Any) -> str:
    """A decimal amount without trailing zeros: `3000.00` → `3000`."""
    number = Decimal(str(value)).normalize()
    return format(number, "f")


async def _concepts(
    session: AsyncSession, data: CallInput, language: str
) -> tuple[list[SkillTerm], list[str]]:
    """The wanted skills (labelled in `language`) and their English hashtags; ValidationFailed
    for a URI that is not in the taxonomy."""
    wanted = [*([data.occupation] if data.occupation else []), *(data.skills or [])]
    rows = await session.scalars(select(SkillConcept).where(SkillConcept.uri.in_(wanted)))
    kinds = {row.uri: row.kind for row in rows.all()}
    if data.occupation and kinds.get(data.occupation) != "occupation":
        raise ValidationFailed(f"occupation: {data.occupation} is not an ESCO occupation here")
    skills = list(dict.fromkeys(data.skills or []))
    for uri in skills:
        if uri not in kinds:
            raise ValidationFailed(f"skills: {uri} is not in this node's taxonomy")
    shown = await preferred_labels(session, skills, language)
    english = await preferred_labels(session, skills, "en")
    terms = [SkillTerm(name=shown.get(u, (u,))[0], uri=u) for u in skills]
    tags = [hashtag_name(english[u][0]) for u in skills if u in english]
    return terms, [t for t in tags if t]


def _terms(data: CallInput, skills: list[SkillTerm], state: str | None) -> CallTerms:
    """The terms other nodes read (stored as extra["call"])."""
    effort, paid = data.effort, data.paid
    return CallTerms(
        title=data.title,
        occupation=data.occupation,
        skills=tuple(WantedSkill(s.uri, s.name) for s in skills if s.uri),
        languages=tuple((code, None) for code in dict.fromkeys(data.languages or [])),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        country=data.place.country if data.place else None,
        city=(data.place.city or None) if data.place else None,
        remote=data.remote,
        positions=data.positions,
        effort=Effort(_number(effort.amount), effort.unit) if effort else None,
        paid=Pay(_number(paid.amount), paid.currency, paid.unit) if paid else None,
        state=state or OPEN,
    )


def _body(
    uris: NodeUris, data: CallInput, text: str, terms: CallTerms, language: str
) -> tuple[str, list[str]]:
    """One language's HTML: title, text and terms in words (the hashtags follow)."""
    closes = iso(data.closes_at) if data.closes_at else None
    body = body_html(uris, text, data.format, [], [])
    written = text_hashtags(text if data.format == "text" else plain_text(clean_html(text)))
    title = f"<p><strong>{escape_text(data.title)}</strong></p>"
    return title + body + terms_html(terms, closes, language), written


def _apply_line(obj: ContentObject, uris: NodeUris, project: Actor) -> Callable[[str], str]:
    """Each language's last line of an open call: how to apply from Mastodon (none once the
    call is closed or filled: its status line says so)."""
    if call_terms(obj).state != OPEN:
        return lambda language: ""
    handle = handle_for(project.username, uris.domain)
    return lambda language: apply_html(language, handle, project.uri)


def _render(
    obj: ContentObject,
    uris: NodeUris,
    data: CallInput,
    concepts: tuple[list[SkillTerm], list[str]],
    project: Actor,
) -> None:
    """Content, translations, tags, terms and columns of a call from its source."""
    skills, tags = concepts
    language = data.language or obj.language or "en"
    terms = _terms(data, skills, obj.state)
    main, written = _body(uris, data, data.description, terms, language)
    given = (hashtag_name(n) for n in [*written, *(data.hashtags or []), *tags])
    names = list({n.lower(): n for n in given if n}.values())
    missing = [n for n in names if n.lower() not in {w.lower() for w in written}]
    trailer = body_html(uris, "", "html", [], missing) if missing else ""
    apply_line = _apply_line(obj, uris, project)
    obj.content = clean_html(main + trailer + apply_line(language))
    others = {
        lang: clean_html(_body(uris, data, text, terms, lang)[0] + trailer + apply_line(lang))
        for lang, text in (data.content_map or {}).items()
        if lang != language and text.strip()
    }
    obj.content_map = {language: obj.content, **others}
    obj.language, obj.name, obj.summary = language, data.title, None
    hashtags = [{"type": "Hashtag", "href": uris.tag(n), "name": f"#{n}"} for n in names]
    mention = [_mention(uris, project)] if apply_line(language) else []
    obj.tags = hashtags + defined_terms(skills) + mention
    obj.starts_at = datetime.combine(data.starts_on, time(), UTC) if data.starts_on else None
    obj.ends_at = datetime.combine(data.ends_on, time(), UTC) if data.ends_on else None
    obj.closes_at = data.closes_at
    source = data.model_dump(mode="json", exclude={"visibility"})
    obj.extra = {"source": source, "call": terms.stored()}


def _mention(uris: NodeUris, project: Actor) -> dict[str, str]:
    """The Mention of the project that its apply line links (Mastodon links a mention only
    when a Mention tag names the account)."""
    return {"type": "Mention", "href": project.uri,
            "name": handle_for(project.username, uris.domain)}  # fmt: skip


async def rendered(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, data: CallInput
) -> None:
    concepts = await _concepts(session, data, data.language or obj.language or "en")
    _render(obj, uris, data, concepts, await call_author(session, obj))
