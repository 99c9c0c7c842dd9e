"""IN lists padded to a power of two: the same answers, a few statement texts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select

from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.in_lists import few_lengths
from smartnode.storage.models import Actor
from tests.conftest import make_member


def test_a_list_is_padded_to_a_power_of_two_with_its_last_value() -> None:
    assert few_lengths([]) == [] and few_lengths(["a"]) == ["a"]
    assert few_lengths(["a", "b", "c"]) == ["a", "b", "c", "c"]
    assert few_lengths(iter(range(5))) == [0, 1, 2, 3, 4, 4, 4, 4]
    assert {len(few_lengths(range(n))) for n in range(2, 257)} == {2**k for k in range(1, 9)}


async def test_padded_lists_find_the_same_rows_with_a_few_statement_texts(
    db: Database, settings: Settings
) -> None:
    members = [await make_member(db, settings, f"m{n}") for n in range(6)]
    uris = [member.uri for member in members] + [f"{settings.base_url}/members/nobody{n}"
                                                  for n in range(60)]  # fmt: skip
    texts: set[str] = set()

    def seen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if "FROM actors" in statement:
            texts.add(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with db.session() as session:
            for n in range(1, len(uris) + 1):
                wanted = uris[:n]
                found = await session.scalars(
                    select(Actor.uri).where(Actor.uri.in_(few_lengths(wanted)))
                )
                assert sorted(found.all()) == sorted(set(wanted) & {m.uri for m in members})
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    assert len(texts) == 8  # 1, 2, 4, …, 128 values for 66 lengths
