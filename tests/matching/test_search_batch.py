"""What one transaction changed is indexed together, a few statements for the lot
(search_index._write): each call still gets its own document, facets and date window, a
changed text loses only its own embedding, and a call taken out of view loses its document."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event, select

from smartnode.matching.embedder import document_text, text_hash
from smartnode.storage.models import ContentObject
from smartnode.storage.models_search import (
    SearchDocument,
    SearchEmbedding,
    SearchFacet,
    SearchWindow,
)
from tests.conftest import make_member
from tests.matching.arrange import COMPOSE, LIVE_SOUND, MIX, project, seed_taxonomy

MOMENT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SKILLS = (COMPOSE, MIX, LIVE_SOUND)
CALLS = 30


def _call(crew_id: int, n: int) -> ContentObject:
    uri = f"https://se.smart.test/calls/batch-{n}"
    terms = {"title": f"Crew call {n}", "skills": [{"uri": SKILLS[n % 3], "name": ""}],
             "starts_on": f"2027-02-{n % 28 + 1:02d}", "ends_on": "2027-03-01"}  # fmt: skip
    return ContentObject(
        uri=uri, local=True, actor_id=crew_id, project_id=crew_id, ap_type="Note", kind="call",
        state="open", name=f"Crew call {n}", content=f"<p>Stagehands {n} for Tosca</p>",
        url=uri, visibility="public", audience={}, extra={"call": terms},
        published_at=MOMENT, updated_at=MOMENT, language="en",
    )  # fmt: skip


class _SearchStatements:
    """Counts the statements sent to the search tables."""

    def __init__(self, db: Any) -> None:
        self.count = 0
        self.engine = db.engine.sync_engine
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "search_" in statement or "skill_labels" in statement:
            self.count += 1

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


async def _index(db: Any) -> dict[str, tuple[int, set[str], set[tuple[date, date]]]]:
    """uri: (document id, skill facets, windows)."""
    async with db.session() as s:
        docs = {uri: doc_id for doc_id, uri in (await s.execute(
            select(SearchDocument.id, SearchDocument.uri).where(SearchDocument.kind == "call")
        )).all()}  # fmt: skip
        facets = (await s.execute(select(SearchFacet.doc_id, SearchFacet.value)
                                  .where(SearchFacet.facet == "skill"))).all()  # fmt: skip
        windows = (await s.execute(
            select(SearchWindow.doc_id, SearchWindow.starts_on, SearchWindow.ends_on)
        )).all()  # fmt: skip
    return {
        uri: (doc_id, {v for d, v in facets if d == doc_id},
              {(a, b) for d, a, b in windows if d == doc_id})
        for uri, doc_id in docs.items()
    }  # fmt: skip


async def test_calls_written_together_are_indexed_together_each_as_its_own(db, settings) -> None:
    await seed_taxonomy(db)
    await make_member(db, settings, "anna")
    crew = await project(db, settings, "Opera crew", "anna")
    counter = _SearchStatements(db)
    try:
        async with db.session() as s, s.begin():
            s.add_all([_call(crew.id, n) for n in range(CALLS)])
    finally:
        counter.close()
    # the rows and labels read once, the documents, embeddings, facets and windows written
    # once each: not a handful per call
    assert counter.count <= 8, counter.count
    index = await _index(db)
    assert len(index) == CALLS
    for n in range(CALLS):
        _doc, skills, windows = index[f"https://se.smart.test/calls/batch-{n}"]
        assert skills == {SKILLS[n % 3]}
        assert windows == {(date(2027, 2, n % 28 + 1), date(2027, 3, 1))}
    async with db.session() as s:
        bodies = dict((await s.execute(select(SearchDocument.uri, SearchDocument.body))).all())
    assert "Stagehands 7 for Tosca" in bodies["https://se.smart.test/calls/batch-7"]

    # every document embedded for its current text
    async with db.session() as s, s.begin():
        rows = (await s.execute(select(SearchDocument.id, SearchDocument.title,
                                       SearchDocument.body))).all()  # fmt: skip
        s.add_all([SearchEmbedding(doc_id=doc_id, model="test", dims=1, vector=b"\0\0\0\0",
                                   text_hash=text_hash(document_text(title, body)),
                                   embedded_at=MOMENT)
                   for doc_id, title, body in rows])  # fmt: skip
    uri = "https://se.smart.test/calls/batch-{}".format
    async with db.session() as s, s.begin():
        calls = {c.uri: c for c in (await s.scalars(select(ContentObject))).all()}
        calls[uri(0)].content = "<p>Lighting crew for Carmen</p>"  # the text changes
        calls[uri(1)].visibility = "followers"  # out of view
        terms = dict(calls[uri(2)].extra["call"])
        terms["ends_on"] = "2027-04-01"  # only the dates change
        calls[uri(2)].extra = {"call": terms}
    index_after = await _index(db)
    assert uri(1) not in index_after and len(index_after) == CALLS - 1
    assert index_after[uri(2)][2] == {(date(2027, 2, 3), date(2027, 4, 1))}
    assert index_after[uri(0)][1] == {SKILLS[0]}
    async with db.session() as s:
        embedded = set((await s.scalars(select(SearchEmbedding.doc_id))).all())
        bodies = dict((await s.execute(select(SearchDocument.uri, SearchDocument.body))).all())
    assert "Carmen" in bodies[uri(0)]
    assert index_after[uri(0)][0] not in embedded  # its text changed
    assert index_after[uri(2)][0] in embedded  # the same text keeps its embedding
    calls_embedded = embedded & {doc_id for doc_id, _, _ in index.values()}
    assert calls_embedded == {doc_id for u, (doc_id, _, _) in index_after.items() if u != uri(0)}
