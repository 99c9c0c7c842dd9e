"""Hot discovery GETs (actor document, WebFinger) of a real node against bytes-from-memory ceilings.

Run: .venv/bin/python -m bench.actors   (about two minutes; installs wrk with apt-get if missing)

Each server runs alone on 127.0.0.1 with one uvicorn worker (uvloop, httptools, no access log):
  (s) a real node (`smartnode init`, a member and a project made by the CLI, `smartnode serve`);
  (a) FastAPI routes returning the node's own actor / JRD bytes as a pre-serialised Response;
  (b) a bare ASGI app returning the same bytes.
Servers take turns in rounds (s, a, b, s, a, b, ...) so background noise hits all of them alike;
wrk (another process) drives each path after a short warm-up; medians over 3 rounds and the
node's ratios to (a) and (b) are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import httpx

from bench._cpu import process_cpu
from bench._metrics_cost import CHOICES, OFF, Variant, cost_lines, cpu_lines, in_turn, variants
from bench._servers import (
    Load,
    ensure_wrk,
    free_port,
    pin,
    running,
    uvicorn_command,
    wrk_once,
)

TARGET = 0.8
USERNAME = "bench"
NODE = "(s) smartnode serve"
ROUTE = "(a) FastAPI, bytes from memory"
BARE = "(b) bare ASGI, same bytes"
SMARTNODE = str(Path(sys.executable).parent / "smartnode")


@dataclass(frozen=True, slots=True)
class Paths:
    """The two discovery URLs of a server on `origin`."""

    origin: str
    domain: str
    pid: int = 0  # the server's process

    @property
    def actor(self) -> str:
        return f"{self.origin}/members/{USERNAME}"

    @property
    def webfinger(self) -> str:
        return f"{self.origin}/.well-known/webfinger?resource=acct:{USERNAME}@{self.domain}"


def node_env(data_dir: Path, port: int) -> dict[str, str]:
    """Environment of the node under test: its own SQLite file, served on 127.0.0.1:`port`."""
    return {"SMARTNODE_DATA_DIR": str(data_dir), "SMARTNODE_DOMAIN": f"127.0.0.1:{port}",
            "SMARTNODE_BASE_URL": f"http://127.0.0.1:{port}"}  # fmt: skip


def seed_node(env: dict[str, str]) -> None:
    """`smartnode init`, then a member and a project, all through the real CLI."""
    commands = [
        ["init"],
        ["member", "create", USERNAME, "--name", "Anna Lindqvist", "--email", "anna@example.org",
         "--country", "SE", "--skills", "sound design,lighting", "--discoverable"],
        ["project", "create", "malmo-opera", "--name", "Malmö Opera", "--coordinator", USERNAME],
    ]  # fmt: skip
    for args in commands:
        subprocess.run(
            [SMARTNODE, *args], env={**os.environ, **env}, check=True, capture_output=True
        )


@contextmanager
def serve_node(work: Path, port: int, variant: Variant = OFF) -> Iterator[Paths]:
    """(s): the seeded node served by `smartnode serve` on 127.0.0.1:`port`, with the settings
    of `variant` (metrics on or off); its output goes to work/serve.log."""
    paths = Paths(f"http://127.0.0.1:{port}", f"127.0.0.1:{port}")
    command = [SMARTNODE, "serve", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", variant.log_level]  # fmt: skip
    env = {**node_env(work / "node", port), **variant.env}
    with running(command, f"{paths.origin}/actor", env, work / "serve.log") as process:
        yield replace(paths, pid=process.pid)


@contextmanager
def serve_reference(app: str, env: dict[str, str]) -> Iterator[Paths]:
    """(a) or (b): a bench._apps factory serving the node's bytes."""
    port = free_port()
    paths = Paths(f"http://127.0.0.1:{port}", f"127.0.0.1:{port}")
    with running(uvicorn_command(app, port), paths.actor, env) as process:
        yield replace(paths, pid=process.pid)


def fetch_bodies(paths: Paths, work: Path) -> dict[str, str]:
    """Save the node's exact actor and JRD bytes; env for the reference apps."""
    actor = httpx.get(paths.actor, headers={"Accept": "application/activity+json"})
    jrd = httpx.get(paths.webfinger, headers={"Accept": "application/jrd+json"})
    for response in (actor, jrd):
        response.raise_for_status()
    (work / "actor.json").write_bytes(actor.content)
    (work / "jrd.json").write_bytes(jrd.content)
    print(f"actor {len(actor.content)} bytes ({actor.headers['content-type']}), "
          f"JRD {len(jrd.content)} bytes ({jrd.headers['content-type']})")  # fmt: skip
    return {"SMARTNODE_BENCH_ACTOR": str(work / "actor.json"),
            "SMARTNODE_BENCH_ACTOR_TYPE": actor.headers["content-type"],
            "SMARTNODE_BENCH_JRD": str(work / "jrd.json"),
            "SMARTNODE_BENCH_JRD_TYPE": jrd.headers["content-type"]}  # fmt: skip


Figures = tuple[float, float, float, float]  # req/s of actor, WebFinger; CPU µs a request of each


def measure(wrk: str, paths: Paths, load: Load, warmup: float) -> Figures:
    """One warmed-up wrk run of the actor GET, then of the WebFinger GET: req/s, and the
    server's CPU time per request (which other work on the machine hardly moves)."""
    rates, cpu = [], []
    for url, accept in ((paths.actor, load.accept), (paths.webfinger, "application/jrd+json")):
        path_load = replace(load, accept=accept)
        wrk_once(wrk, url, replace(path_load, seconds=warmup))
        before = process_cpu(paths.pid)
        rates.append(wrk_once(wrk, url, path_load))
        requests = rates[-1] * max(1, round(load.seconds))  # as wrk_once runs it
        cpu.append((process_cpu(paths.pid) - before) / requests * 1e6)
    return rates[0], rates[1], cpu[0], cpu[1]


def ratios(node: tuple[float, ...], ref: tuple[float, ...]) -> tuple[float, ...]:
    """Node figure over reference figure, path by path."""
    return tuple(n / r for n, r in zip(node, ref, strict=True))


def report(runs: dict[str, list[Figures]], nodes: list[str]) -> None:
    """Print median req/s (and spread) per server and path, the ratios of each node variant,
    and what metrics cost (each round's s/a of a variant against the same round's with
    metrics off)."""
    medians = {name: _medians(figures) for name, figures in runs.items()}
    print(f"\n{'server':<52}{'actor GET':>24}{'WebFinger GET':>24}")
    for name, figures in runs.items():
        cells = [_cell([f[i] for f in figures]) for i in (0, 1)]
        print(f"{name:<52}{cells[0]:>24}{cells[1]:>24}")
    for node in nodes:
        for key, ref in (("s/a", ROUTE), ("s/b", BARE)):
            actor, jrd = ratios(medians[node], medians[ref])
            print(f"ratio {key} of {node}: actor {actor:.2f}, WebFinger {jrd:.2f}")
        verdict = "meets" if min(ratios(medians[node], medians[ROUTE])) >= TARGET else "BELOW"
        print(f"target s/a >= {TARGET}: {verdict}")
    if NODE in nodes and len(nodes) > 1:
        for i, path in enumerate(("actor GET", "WebFinger GET")):
            per_round = {
                name: [n[i] / a[i] for n, a in zip(runs[name], runs[ROUTE], strict=True)]
                for name in nodes
            }
            others = {name.removeprefix(NODE): per_round[name] for name in nodes if name != NODE}
            print("\n".join(cost_lines(f"{path} s/a", per_round[NODE], others)))
            cpu = {name.removeprefix(NODE): [f[i + 2] for f in runs[name]] for name in nodes}
            print("\n".join(cpu_lines(f"{path} node CPU", cpu)))


def _medians(figures: list[Figures]) -> tuple[float, float]:
    return statistics.median(f[0] for f in figures), statistics.median(f[1] for f in figures)


def _cell(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def main() -> None:
    """Rounds of (s), (a), (b), each served alone in turn; medians over rounds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one wrk run")
    parser.add_argument("--runs", type=int, default=3, help="rounds (median over them)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up before each run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--metrics", choices=CHOICES, default="off",
                        help="serve the node with metrics off, on, both (in the same rounds) "
                        "or all (both, and metrics with the request log on)")  # fmt: skip
    parser.add_argument("--pin", action="store_true",
                        help="servers on the first core, wrk on the others")  # fmt: skip
    args = parser.parse_args()
    pinning = pin(args.pin)
    started = time.monotonic()
    wrk = ensure_wrk()
    load = Load(connections=args.connections, seconds=args.seconds)
    with tempfile.TemporaryDirectory(prefix="smartnode-bench-") as tmp:
        work, port = Path(tmp), free_port()
        seed_node(node_env(work / "node", port))
        with serve_node(work, port) as paths:
            env = fetch_bodies(paths, work)
        servers: dict[str, Callable[[], AbstractContextManager[Paths]]] = {
            NODE + variant.suffix: partial(serve_node, work, port, variant)
            for variant in variants(args.metrics)
        }
        nodes = list(servers)
        servers[ROUTE] = partial(serve_reference, "bench._apps:fastapi_app", env)
        servers[BARE] = partial(serve_reference, "bench._apps:bare_app", env)
        runs: dict[str, list[Figures]] = {name: [] for name in servers}
        for index in range(args.runs):
            for name in [*in_turn(nodes, index), ROUTE, BARE]:
                with servers[name]() as paths:
                    runs[name].append(measure(wrk, paths, load, args.warmup))
    report(runs, nodes)
    print(f"\n{args.runs} rounds of {args.seconds:.0f} s wrk runs per path after "
          f"{args.warmup:.0f} s warm-up, -t{load.threads} -c{load.connections}; "
          f"whole run {time.monotonic() - started:.0f} s; {pinning}")  # fmt: skip


if __name__ == "__main__":
    main()
