"""Open calls: a project (through a coordinator) publishes, edits, closes, fills and deletes
calls for work. Each change and its activity are written in the caller's transaction
(transactional outbox); services never commit.

The coordinator's input is kept in `extra["source"]` (re-validated and re-rendered on every
edit), the terms other nodes read in `extra["call"]` (see calls_to_ap). A public call is also
announced by the node actor to its followers (the peer nodes), and its Update and Delete are
addressed to them too, so their call boards stay in step.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.to_ap import hashtag_name, iso
from smartnode.content.audience import addressing
from smartnode.content.call_boosts import undo_call_boosts
from smartnode.content.calls_federate import (
    call_author,
    node_announce,
    peer_nodes,
    pin,
    publish_call,
)
from smartnode.content.calls_federate import featured_calls as featured_calls
from smartnode.content.calls_inputs import CallInput, CallUpdate
from smartnode.content.calls_to_ap import CALL_CONTEXT
from smartnode.content.calls_wording import terms_html
from smartnode.content.compose import body_html, plain_text, text_hashtags
from smartnode.content.inputs import Visibility
from smartnode.content.lifecycle import local_object, retire
from smartnode.content.terms import CALL
from smartnode.errors import Conflict, Forbidden, ValidationFailed
from smartnode.federation.sanitize import clean_html, escape_text
from smartnode.federation.uris import NodeUris
from smartnode.matching.feeds import refresh_call_feeds
from smartnode.matching.notify import enqueue_call_matching
from smartnode.matching.taxonomy import preferred_labels
from smartnode.matching.terms import SkillTerm, defined_terms
from smartnode.outbox.publish import new_token
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_matching import SkillConcept

OPEN, CLOSED, FILLED = "open", "closed", "filled"
#: Calls past their deadline a worker sweep closes at most.
EXPIRY_BATCH = 50


async def local_call(session: AsyncSession, uris: NodeUris, token: str) -> ContentObject:
    """One of our calls by token; NotFound if none, Gone if deleted."""
    return await local_object(session, uris.call(token), "call", CALL)


async def call_by_uri(session: AsyncSession, uri: str) -> ContentObject | None:
    """A live call (ours or a remote one we store) by its id; None otherwise."""
    return await session.scalar(
        select(ContentObject).where(
            ContentObject.uri == uri,
            ContentObject.kind == CALL,
            ContentObject.deleted_at.is_(None),
        )
    )


# ---------------------------------------------------------------- rendering


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


def _terms(data: CallInput, skills: list[SkillTerm]) -> dict[str, Any]:
    """The terms other nodes read (extra["call"])."""
    effort, paid = data.effort, data.paid
    return {
        "title": data.title,
        "occupation": data.occupation,
        "skills": [{"uri": s.uri, "name": s.name} for s in skills],
        "languages": list(dict.fromkeys(data.languages or [])),
        "starts_on": data.starts_on.isoformat() if data.starts_on else None,
        "ends_on": data.ends_on.isoformat() if data.ends_on else None,
        "country": data.place.country if data.place else None,
        "city": (data.place.city or None) if data.place else None,
        "remote": data.remote,
        "positions": data.positions,
        "effort": {"amount": _number(effort.amount), "unit": effort.unit} if effort else None,
        "paid": {"amount": _number(paid.amount), "currency": paid.currency, "unit": paid.unit}
        if paid
        else None,
    }


def _body(
    uris: NodeUris, data: CallInput, text: str, terms: dict[str, Any], language: str
) -> tuple[str, list[str]]:
    """One language's HTML: title, text and terms in words (the hashtags follow)."""
    closes = iso(data.closes_at) if data.closes_at else None
    body = body_html(uris, text, data.format, [], [])
    written = text_hashtags(text if data.format == "text" else plain_text(clean_html(text)))
    title = f"<p><strong>{escape_text(data.title)}</strong></p>"
    return title + body + terms_html(terms, closes, language), written


def _render(
    obj: ContentObject, uris: NodeUris, data: CallInput, skills: list[SkillTerm], tags: list[str]
) -> None:
    """Content, translations, tags, terms and columns of a call from its source."""
    language = data.language or obj.language or "en"
    terms = dict(_terms(data, skills), state=obj.state)
    main, written = _body(uris, data, data.description, terms, language)
    given = (hashtag_name(n) for n in [*written, *(data.hashtags or []), *tags])
    names = list({n.lower(): n for n in given if n}.values())
    missing = [n for n in names if n.lower() not in {w.lower() for w in written}]
    trailer = body_html(uris, "", "html", [], missing) if missing else ""
    obj.content = clean_html(main + trailer)
    others = {
        lang: clean_html(_body(uris, data, text, terms, lang)[0] + trailer)
        for lang, text in (data.content_map or {}).items()
        if lang != language and text.strip()
    }
    obj.content_map = {language: obj.content, **others}
    obj.language, obj.name, obj.summary = language, data.title, None
    hashtags = [{"type": "Hashtag", "href": uris.tag(n), "name": f"#{n}"} for n in names]
    obj.tags = hashtags + defined_terms(skills)
    obj.starts_at = datetime.combine(data.starts_on, time(), UTC) if data.starts_on else None
    obj.ends_at = datetime.combine(data.ends_on, time(), UTC) if data.ends_on else None
    obj.closes_at = data.closes_at
    source = data.model_dump(mode="json", exclude={"visibility"})
    terms.pop("state")
    obj.extra = {"source": source, "call": terms}


async def _rendered(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, data: CallInput
) -> None:
    skills, tags = await _concepts(session, data, data.language or obj.language or "en")
    _render(obj, uris, data, skills, tags)


# ---------------------------------------------------------------- use cases


async def create_call(
    session: AsyncSession, uris: NodeUris, *, project: Actor, data: CallInput, now: datetime
) -> ContentObject:
    """Store a new open call by `project`, publish its Create, have the node announce it."""
    if project.kind != "project":
        raise Forbidden("only projects publish calls")
    if data.closes_at is not None and data.closes_at <= now:
        raise ValidationFailed("closes_at: the deadline has passed already")
    uri = uris.call(new_token(now))
    visibility = Visibility(data.visibility.value)
    obj = ContentObject(
        uri=uri, local=True, actor_id=project.id, project_id=project.id, ap_type="Note",
        kind=CALL, state=OPEN, url=uri, visibility=visibility.value, sensitive=False,
        audience=addressing(visibility, project.uri, []).as_dict(), attachments=[], extra={},
        language=data.language or project.language, published_at=now, updated_at=now,
    )  # fmt: skip
    await _rendered(session, uris, obj, data)
    session.add(obj)
    await session.flush()
    await publish_call(session, uris, project, obj, "Create", now)
    if visibility is Visibility.PUBLIC:
        await node_announce(session, uris, project, obj, now)
        await pin(session, uris, project, obj, "Add", now)
    await enqueue_call_matching(session, obj.id, now)
    return obj


def _edited(obj: ContentObject, data: CallUpdate) -> CallInput:
    """The whole input after an edit: the fields given replace the stored ones."""
    source = dict(obj.extra.get("source", {}))
    source.update(data.model_dump(mode="json", exclude_unset=True))
    source["visibility"] = obj.visibility
    try:
        return CallInput.model_validate(source)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "call"
        raise ValidationFailed(f"{where}: {first['msg']}") from error


async def edit_call(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, data: CallUpdate, now: datetime
) -> ContentObject:
    """Change a live call and publish its Update; its audience never changes."""
    merged = _edited(obj, data)
    if "closes_at" in data.model_fields_set and merged.closes_at and merged.closes_at <= now:
        raise ValidationFailed("closes_at: the deadline has passed already")
    await _rendered(session, uris, obj, merged)
    return await _changed(session, uris, obj, now)


async def set_state(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, state: str, now: datetime
) -> ContentObject:
    """Close or fill a call (no more applications): its Update says so, and it is unpinned."""
    if obj.state == state:
        raise Conflict(f"this call is {state} already")
    if obj.state == FILLED:
        raise Conflict("this call is filled already")
    was_open, obj.state = obj.state == OPEN, state
    return await _announce_state(session, uris, obj, was_open, now)


async def _announce_state(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, was_open: bool, now: datetime
) -> ContentObject:
    """After a state change: re-render, send Update, undo boosts, unpin if it was open."""
    source = obj.extra.get("source")
    if isinstance(source, dict) and source:  # the text says the call is closed or filled
        merged = {**source, "visibility": obj.visibility}
        await _rendered(session, uris, obj, CallInput.model_validate(merged))
    await _changed(session, uris, obj, now)
    await undo_call_boosts(session, uris, obj, now)
    if was_open:
        await pin(session, uris, await call_author(session, obj), obj, "Remove", now)
    return obj


async def expired_calls(
    session: AsyncSession, now: datetime, *, limit: int = EXPIRY_BATCH
) -> list[int]:
    """Ids of our open calls whose deadline has passed, soonest deadline first."""
    due = await session.scalars(
        select(ContentObject.id)
        .where(ContentObject.kind == CALL, ContentObject.state == OPEN)
        .where(ContentObject.closes_at <= now, ContentObject.local.is_(True))
        .where(ContentObject.deleted_at.is_(None))
        .order_by(ContentObject.closes_at, ContentObject.id)
        .limit(limit)
    )
    return list(due.all())


async def close_expired_call(
    session: AsyncSession, uris: NodeUris, call_id: int, now: datetime
) -> bool:
    """Close one call past its deadline as a coordinator closing it would (Update, boosts
    undone, unpinned). It is claimed by a conditional UPDATE, so concurrent workers never
    close it twice; False when another did (or it is no longer open)."""
    claimed = await session.execute(
        update(ContentObject)
        .where(ContentObject.id == call_id, ContentObject.state == OPEN)
        .values(state=CLOSED)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    obj = await session.get(ContentObject, call_id, populate_existing=True)
    if obj is None:
        return False
    await _announce_state(session, uris, obj, True, now)
    return True


async def _changed(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, now: datetime
) -> ContentObject:
    project = await call_author(session, obj)
    obj.updated_at = now
    await session.flush()
    await publish_call(session, uris, project, obj, "Update", now)
    await refresh_call_feeds(session, uris, obj, now)
    return obj


async def delete_call(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, now: datetime
) -> None:
    """Delete a call: it answers 410 with a Tombstone, and its audience (and the peers that
    were told of it) is sent Delete."""
    project = await call_author(session, obj)
    peers = await peer_nodes(session, obj)
    await undo_call_boosts(session, uris, obj, now)
    await retire(session, uris, project, obj, now, context=CALL_CONTEXT, also=peers)
