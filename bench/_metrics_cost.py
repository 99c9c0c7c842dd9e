"""What metrics cost the node, for bench/inbox.py and bench/actors.py (`--metrics`): the node is
served as operators run it with metrics off (the default) and on (SMARTNODE_METRICS_TOKEN set;
the request log at its default, off), and with `all` also with the request log on (one JSON line
per request, to a file), in the same rounds; each variant's ratio to the bench's reference is
printed, and how much lower it is than with metrics off, against a bound of 10 %."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

#: Metrics may cost at most this share of the node's ratio.
BOUND = 0.10
TOKEN = "bench-metrics-token-0123456789abcdef"
CHOICES = ("off", "on", "both", "all")


@dataclass(frozen=True, slots=True)
class Variant:
    """A way to serve the node: its label's suffix and the settings it adds."""

    suffix: str
    env: dict[str, str]
    log_level: str = "warning"  # the request log writes its lines at info

    @property
    def off(self) -> bool:
        return not self.env


OFF = Variant("", {})
ON = Variant(", metrics on", {"SMARTNODE_METRICS_TOKEN": TOKEN})
LOGGED = Variant(", metrics + request log",
                 {"SMARTNODE_METRICS_TOKEN": TOKEN, "SMARTNODE_REQUEST_LOG": "true"},
                 log_level="info")  # fmt: skip


def variants(choice: str) -> list[Variant]:
    """The variants `--metrics CHOICE` serves."""
    return {"off": [OFF], "on": [ON], "both": [OFF, ON], "all": [OFF, ON, LOGGED]}[choice]


def in_turn(items: Sequence[T], index: int) -> list[T]:
    """`items` in order in even rounds, reversed in odd ones: neither variant always runs
    first (the second node of a round meets a database just emptied, a warmer machine)."""
    return list(reversed(items) if index % 2 else items)


def cost_lines(what: str, off: Sequence[float], others: Mapping[str, Sequence[float]]) -> list[str]:
    """For each variant: its ratio against the ratio with metrics off (medians over rounds, and
    the spread of the per-round comparison), and whether it stays within the bound."""
    lines = []
    base = statistics.median(off)
    for label, ratios in others.items():
        median = statistics.median(ratios)
        cost = 1 - median / base
        per_round = [1 - on / no for on, no in zip(ratios, off, strict=True)]
        verdict = "within" if cost <= BOUND else "ABOVE"
        lines.append(
            f"{what}: ratio {base:.2f} with metrics off, {median:.2f}{label}: costs "
            f"{cost:+.1%} (rounds {min(per_round):+.1%} to {max(per_round):+.1%}; "
            f"{verdict} the {BOUND:.0%} bound)"
        )
    return lines


def cpu_lines(what: str, cpu: Mapping[str, Sequence[float]]) -> list[str]:
    """The node's CPU µs per request with each variant against metrics off ("" in `cpu`):
    medians, and the spread of the per-round comparison. A process's CPU time per request
    moves far less with other work on the machine than its rate does."""
    off = cpu[""]
    base, lines = statistics.median(off), []
    for label, spent in cpu.items():
        if not label:
            continue
        per_round = [on / no - 1 for on, no in zip(spent, off, strict=True)]
        lines.append(
            f"{what}: {base:.0f} µs a request with metrics off, {statistics.median(spent):.0f} µs"
            f"{label}: {statistics.median(per_round):+.1%} (rounds {min(per_round):+.1%} to "
            f"{max(per_round):+.1%})"
        )
    return lines
