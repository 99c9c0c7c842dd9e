"""Keeping the search index in step with the rows it is made of (docs/search.md).

A session listener notes, after each flush, which actors and pieces of content (calls, events,
posts) changed (members' profiles, skills, languages, matching profiles and projects count as
their actor; an author's `indexable` or deletion counts for their posts too), and rewrites their
documents just before the commit, in the same transaction: a search never shows what was not
committed, and a rolled-back change leaves the index as it was. Writes made with Core statements
outside a session (bulk imports) are caught up with `reindex_all` (`smartnode reindex`).

A document whose text changes loses its embedding here, in the same transaction; the worker
computes the new one (search_embed.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, delete, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.dml import Insert

from smartnode.content.terms import ANNOUNCEMENT
from smartnode.errors import ValidationFailed
from smartnode.matching.embedder import document_text, text_hash
from smartnode.matching.search_docs import CONTENT_KINDS, Doc, actor_doc, object_docs
from smartnode.storage.models import Actor, ContentObject, table
from smartnode.storage.models_matching import (
    MatchingProfile,
    MemberAvailability,
    MemberLanguage,
    MemberSkill,
)
from smartnode.storage.models_profiles import MemberProfile, Project
from smartnode.storage.models_search import (
    SearchDocument,
    SearchEmbedding,
    SearchFacet,
    SearchWindow,
)

ACTOR, OBJECT = "actor", "object"
#: Not a document: the posts of an author whose consent (or existence) changed.
_AUTHOR = "author"
#: Which document a changed row belongs to: (source, attribute holding the ref).
_TRACKED: dict[type[Any], tuple[str, str]] = {
    Actor: (ACTOR, "id"),
    MemberProfile: (ACTOR, "actor_id"),
    Project: (ACTOR, "actor_id"),
    MatchingProfile: (ACTOR, "actor_id"),
    MemberSkill: (ACTOR, "member_id"),
    MemberLanguage: (ACTOR, "member_id"),
    MemberAvailability: (ACTOR, "member_id"),
    ContentObject: (OBJECT, "id"),
}
_SOURCES = {"member": ACTOR, "project": ACTOR, ACTOR: ACTOR, "call": OBJECT, "event": OBJECT,
            "post": OBJECT, OBJECT: OBJECT}  # fmt: skip
#: Actor attributes a post's document depends on.
_AUTHOR_FACTS = ("indexable", "deleted_at")
_PENDING = "smartnode.search_index.pending"


# ---------------------------------------------------------------- writing documents


#: Documents written per statement (each a dozen parameters: well under the drivers' limits).
_CHUNK = 200


_DOCUMENT_COLUMNS = ("kind", "uri", "local", "language", "title", "body", "folded", "country",
                     "remote", "published_at", "updated_at")  # fmt: skip


def _values(doc: Doc) -> dict[str, Any]:
    return {
        "kind": doc.kind, "uri": doc.uri, "local": doc.local, "language": doc.language[:16],
        "title": doc.title, "body": doc.body, "folded": doc.folded, "country": doc.country,
        "remote": doc.remote, "published_at": doc.published_at, "updated_at": doc.updated_at,
    }  # fmt: skip


#: The upsert of documents, one per dialect, built once: built per commit (a VALUES list of
#: every length) it was compiled anew each time, which cost more than running it.
_UPSERTS: dict[str, Insert] = {}


def _upsert_statement(dialect: str) -> Insert:
    found = _UPSERTS.get(dialect)
    if found is None:
        documents = table(SearchDocument)
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        rows = insert(documents)
        found = rows.on_conflict_do_update(
            index_elements=[documents.c.source, documents.c.ref],
            set_={name: rows.excluded[name] for name in _DOCUMENT_COLUMNS},
        ).returning(documents.c.source, documents.c.ref, documents.c.id)
        _UPSERTS[dialect] = found
    return found


def _upsert(conn: Connection, docs: list[tuple[str, int, Doc]]) -> dict[tuple[str, int], int]:
    """Insert or rewrite these documents in one statement (the driver's batched form); their
    ids by (source, ref)."""
    statement = _upsert_statement(conn.dialect.name)
    rows = [{"source": source, "ref": ref, **_values(doc)} for source, ref, doc in docs]
    return {(source, ref): doc_id for source, ref, doc_id in conn.execute(statement, rows)}


def _write(conn: Connection, docs: list[tuple[str, int, Doc | None]]) -> None:
    """Write (or, where None, remove) these documents, a few statements per _CHUNK: a
    changed text loses its embedding, facets and date windows are rewritten."""
    for start in range(0, len(docs), _CHUNK):
        _write_chunk(conn, docs[start : start + _CHUNK])


def _write_chunk(conn: Connection, docs: list[tuple[str, int, Doc | None]]) -> None:
    documents, facets, windows = table(SearchDocument), table(SearchFacet), table(SearchWindow)
    gone: dict[str, list[int]] = {}
    for source, ref, doc in docs:
        if doc is None:
            gone.setdefault(source, []).append(ref)
    for source, refs in gone.items():
        conn.execute(
            delete(documents).where(documents.c.source == source, documents.c.ref.in_(refs))
        )
    kept = [(source, ref, doc) for source, ref, doc in docs if doc is not None]
    if not kept:
        return
    ids = _upsert(conn, kept)
    embeddings = table(SearchEmbedding)
    conn.execute(
        delete(embeddings).where(
            embeddings.c.doc_id == bindparam("doc"), embeddings.c.text_hash != bindparam("hash")
        ),
        [{"doc": ids[source, ref], "hash": text_hash(document_text(doc.title, doc.body))}
         for source, ref, doc in kept],
    )  # fmt: skip
    doc_ids = sorted(ids.values())
    conn.execute(delete(facets).where(facets.c.doc_id.in_(doc_ids)))
    conn.execute(delete(windows).where(windows.c.doc_id.in_(doc_ids)))
    facet_rows, window_rows = [], []
    for source, ref, doc in kept:
        doc_id = ids[source, ref]
        languages = {*doc.languages, *([doc.language] if doc.language != "und" else [])}
        values = {("skill", s) for s in doc.skills} | {("language", lang) for lang in languages}
        facet_rows += [{"doc_id": doc_id, "facet": f, "value": v} for f, v in sorted(values)]
        window_rows += [
            {"doc_id": doc_id, "starts_on": s, "ends_on": e} for s, e in set(doc.windows)
        ]
    if facet_rows:
        conn.execute(facets.insert(), facet_rows)
    if window_rows:
        conn.execute(windows.insert(), window_rows)


def reindex_refs(conn: Connection, refs: Iterable[tuple[str, int]]) -> None:
    """Rewrite (or remove) the documents of these actors and objects, on a sync connection:
    the objects (an author's posts among them) are read and written a few statements per
    _CHUNK, whatever their number."""
    actors: set[int] = set()
    objects: set[int] = set()
    for source, ref in refs:
        if source == _AUTHOR:
            objects.update(_posts_of(conn, ref))
        elif source == ACTOR:
            actors.add(ref)
        else:
            objects.add(ref)
    if actors:
        _write(conn, [(ACTOR, ref, actor_doc(conn, ref)) for ref in sorted(actors)])
    ordered = sorted(objects)
    for start in range(0, len(ordered), _CHUNK):
        found = object_docs(conn, ordered[start : start + _CHUNK])
        _write(conn, [(OBJECT, ref, doc) for ref, doc in found.items()])


def reindex_ref(conn: Connection, source: str, ref: int) -> None:
    """Rewrite (or remove) the document of one actor or object, on a sync connection."""
    reindex_refs(conn, [(source, ref)])


def _posts_of(conn: Connection, actor_id: int) -> list[int]:
    """The ids of an author's posts that may have a document (whether they have one now)."""
    objects = table(ContentObject)
    rows = conn.execute(
        select(objects.c.id)
        .where(objects.c.actor_id == actor_id, objects.c.kind == ANNOUNCEMENT,
               objects.c.deleted_at.is_(None), objects.c.visibility == "public",
               objects.c.in_reply_to_uri.is_(None))
        .order_by(objects.c.id)
    ).scalars()  # fmt: skip
    return list(rows)


def reindex_all_sync(conn: Connection) -> int:
    """Rebuild the whole index; returns how many documents it holds. Documents are rewritten
    in place (an unchanged text keeps its embedding); those of nothing findable go."""
    docs = table(SearchDocument)
    before = {(source, ref) for source, ref in conn.execute(select(docs.c.source, docs.c.ref))}
    seen: set[tuple[str, int]] = set()
    actors, objects = table(Actor), table(ContentObject)
    actor_ids = conn.execute(
        select(actors.c.id).where(actors.c.deleted_at.is_(None)).order_by(actors.c.id)
    ).scalars()
    for actor_id in list(actor_ids):
        reindex_ref(conn, ACTOR, actor_id)
        seen.add((ACTOR, actor_id))
    object_ids = conn.execute(
        select(objects.c.id)
        .where(objects.c.kind.in_(CONTENT_KINDS), objects.c.deleted_at.is_(None),
               objects.c.visibility == "public")
        .order_by(objects.c.id)
    ).scalars()  # fmt: skip
    for object_id in list(object_ids):
        reindex_ref(conn, OBJECT, object_id)
        seen.add((OBJECT, object_id))
    _write(conn, [(source, ref, None) for source, ref in sorted(before - seen)])
    return len(conn.execute(select(docs.c.id)).all())


async def reindex(session: AsyncSession, kind: str, ref: int) -> None:
    """Rewrite the document of a member/project/actor (actor id) or call/event/post/object
    (object id)."""
    source = _SOURCES.get(kind)
    if source is None:
        raise ValidationFailed(f"kind: one of {', '.join(sorted(_SOURCES))}")
    await session.flush()
    await session.run_sync(lambda s: reindex_ref(s.connection(), source, ref))


async def reindex_all(session: AsyncSession) -> int:
    """Rebuild the whole index in the session's transaction; returns the document count."""
    await session.flush()
    return await session.run_sync(lambda s: reindex_all_sync(s.connection()))


# ---------------------------------------------------------------- the session listener


def _ref(obj: object, source: str, attribute: str) -> tuple[str, int] | None:
    state = inspect(obj)
    kind = state.dict.get("kind")  # not loaded: the row tells (reindex_ref reads it)
    if isinstance(obj, ContentObject) and kind is not None and kind not in CONTENT_KINDS:
        return None
    value = state.dict.get(attribute)
    if value is None and attribute == "id" and state.identity:
        value = state.identity[0]
    return (source, value) if isinstance(value, int) else None


#: Changes that no document shows: bookkeeping of a fetch, delivery details, counters. A row
#: whose only changes are these keeps its document (a Like must not rewrite a call's).
_UNSEEN: dict[type[Any], frozenset[str]] = {
    Actor: frozenset({"fetched_at", "updated_at", "inbox_uri", "shared_inbox_uri",
                      "followers_uri", "key_id", "public_key_pem", "private_key_enc"}),
    ContentObject: frozenset({"likes_count", "announces_count", "replies_count", "updated_at"}),
}  # fmt: skip


def _shows_a_change(obj: object) -> bool:
    """Whether a dirty row changed anything its document may show (history is still there
    in after_flush)."""
    unseen = _UNSEEN.get(type(obj))
    if unseen is None:
        return True
    state = inspect(obj)
    return any(attr.key not in unseen and attr.history.has_changes() for attr in state.attrs)


def _author_changed(obj: object) -> bool:
    """Whether an actor's change may add or remove documents of their posts."""
    if not isinstance(obj, Actor):
        return False
    attrs = inspect(obj).attrs
    return any(attrs[key].history.has_changes() for key in _AUTHOR_FACTS)


def _after_flush(session: Session, _context: object) -> None:
    pending: set[tuple[str, int]] = session.info.setdefault(_PENDING, set())
    dirty = [obj for obj in session.dirty if _shows_a_change(obj)]
    for obj in (*session.new, *dirty, *session.deleted):
        spec = _TRACKED.get(type(obj))
        ref = _ref(obj, *spec) if spec else None
        if ref is not None:
            pending.add(ref)
    for obj in dirty:
        if _author_changed(obj) and (ref := _ref(obj, _AUTHOR, "id")) is not None:
            pending.add(ref)


def _before_commit(session: Session) -> None:
    session.flush()  # what is still pending gets noted by _after_flush first
    pending: set[tuple[str, int]] = session.info.pop(_PENDING, set())
    if pending:
        reindex_refs(session.connection(), pending)


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_PENDING, None)


_LISTENERS = (
    ("after_flush", _after_flush),
    ("before_commit", _before_commit),
    ("after_soft_rollback", _after_soft_rollback),
)


def install_listeners() -> None:
    """Keep the index fresh from every ORM session (sync ones, and async ones' sync side)."""
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
