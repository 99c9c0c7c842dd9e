"""IN lists of a few lengths only.

An `IN (…)` list becomes one bound parameter per value, so each length is another statement
text: PostgreSQL (asyncpg) prepares every new text on its connection, a round trip and a parse,
and the worker's batches come in every length up to a few hundred. Padded to a power of two
(the last value repeated, which changes no answer), the lists of a batch take one of nine
lengths up to 256, each prepared once per connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def few_lengths(values: Iterable[T]) -> list[T]:
    """`values` as a list whose length is a power of two (the last value repeated)."""
    found = list(values)
    if len(found) < 2:
        return found
    size = 1 << (len(found) - 1).bit_length()
    return found + [found[-1]] * (size - len(found))
