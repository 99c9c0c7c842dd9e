"""What metrics cost a served node, the two variants side by side.

Run: .venv/bin/python -m bench.metrics_side [--runs 10] [--seconds 3]   (about two minutes)

Two nodes seeded alike (`smartnode init`, a member and a project made by the CLI), one served
with metrics off and one with them on (SMARTNODE_METRICS_TOKEN set), run at the same time on
the same core (the first; the load on the others), each driven by its own wrk with half the
connections, for the actor GET and then the WebFinger GET. Whatever the host does during a run
it does to both, and the scheduler gives two busy processes of one core equal shares of it, so
the ratio of their rates is the ratio of their costs a request. `bench.actors --metrics both`
serves the variants one after the other, and the host's swings between two runs (a third, here)
hide a cost of a few per cent; here they cancel out.

Printed per path: each node's median req/s and CPU µs a request, and how much less the node
with metrics on serves than the node with them off (the median over the runs of one minus the
ratio of their rates; the ratio to any reference route falls by as much), against the 10 % bound
of bench/_metrics_cost.py.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from bench._cpu import process_cpu
from bench._metrics_cost import BOUND, LOGGED, OFF, ON
from bench._servers import Load, ensure_wrk, free_port, pin, wrk_once
from bench.actors import Paths, node_env, seed_node, serve_node

PATHS = (("actor GET", "actor", "application/activity+json"),
         ("WebFinger GET", "webfinger", "application/jrd+json"))  # fmt: skip

Run = tuple[float, float, float, float]  # req/s off, on; CPU µs a request off, on


def side_by_side(wrk: str, nodes: tuple[Paths, Paths], path: str, load: Load) -> Run:
    """One run: both wrk at once, each against its node; rates and CPU a request."""
    seconds = max(1, round(load.seconds))
    before = [process_cpu(node.pid) for node in nodes]
    with ThreadPoolExecutor(2) as pool:
        rates = list(pool.map(lambda node: wrk_once(wrk, getattr(node, path), load), nodes))
    cpu = [(process_cpu(node.pid) - spent) / (rate * seconds) * 1e6
           for node, spent, rate in zip(nodes, before, rates, strict=True)]  # fmt: skip
    return rates[0], rates[1], cpu[0], cpu[1]


def report(name: str, runs: list[Run], second: str) -> None:
    off, on = [r[0] for r in runs], [r[1] for r in runs]
    costs = [1 - r[1] / r[0] for r in runs]
    cost = statistics.median(costs)
    cpu_off, cpu_on = statistics.median(r[2] for r in runs), statistics.median(r[3] for r in runs)
    verdict = "within" if cost <= BOUND else "ABOVE"
    print(
        f"{name}: metrics off {statistics.median(off):,.0f} req/s, {cpu_off:.0f} µs a request; "
        f"{second} {statistics.median(on):,.0f} req/s, {cpu_on:.0f} µs a request"
    )
    print(
        f"  {second} costs {cost:+.1%} of the rate (runs {min(costs):+.1%} to {max(costs):+.1%}; "
        f"{verdict} the {BOUND:.0%} bound), {cpu_on / cpu_off - 1:+.1%} CPU a request"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per path")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one run")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=32, help="split between the nodes")
    parser.add_argument("--with-log", action="store_true",
                        help="the second node with the request log on too (to a file)")  # fmt: skip
    args = parser.parse_args()
    second = LOGGED if args.with_log else ON
    pinning = pin(True)
    started = time.monotonic()
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="smartnode-bench-") as tmp, ExitStack() as stack:
        nodes = []
        for variant in (OFF, second):
            work, port = Path(tmp) / (variant.suffix or "off").strip(", "), free_port()
            seed_node(node_env(work / "node", port))
            nodes.append(stack.enter_context(serve_node(work, port, variant)))
        pair = (nodes[0], nodes[1])
        for name, path, accept in PATHS:
            load = Load(connections=args.connections // 2, seconds=args.seconds, accept=accept)
            side_by_side(wrk, pair, path, replace(load, seconds=args.warmup))
            report(
                name,
                [side_by_side(wrk, pair, path, load) for _ in range(args.runs)],
                second.suffix.strip(", "),
            )
    print(
        f"\n{args.runs} runs of {args.seconds:.0f} s per path, both nodes at once, "
        f"{args.connections // 2} connections each; whole run "
        f"{time.monotonic() - started:.0f} s; {pinning}"
    )


if __name__ == "__main__":
    main()
