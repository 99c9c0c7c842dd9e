"""Hot discovery GETs (actor document, WebFinger) of a real node against bytes-from-memory ceilings.

Run: .venv/bin/python -m bench.actors   (about two minutes; installs wrk with apt-get if missing)

Each server runs alone on 127.0.0.1 with one uvicorn worker (uvloop, httptools, no access log):
  (s) a real node (`smartnode init`, a member and a project made by the CLI, `smartnode serve`);
  (a) FastAPI routes returning the node's own actor / JRD bytes as a pre-serialised Response;
  (b) a bare ASGI app returning the same bytes.
wrk (another process) drives each path: a warm-up, then 3 runs; medians and ratios are printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench._servers import Load, ensure_wrk, free_port, running, uvicorn_command, wrk_median

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
def real_node(work: Path) -> Iterator[Paths]:
    """(s): a seeded node served by `smartnode serve`."""
    port = free_port()
    env = node_env(work / "node", port)
    seed_node(env)
    paths = Paths(f"http://127.0.0.1:{port}", f"127.0.0.1:{port}")
    command = [SMARTNODE, "serve", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
    with running(command, f"{paths.origin}/actor", env):
        yield paths


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


def measure(wrk: str, paths: Paths, load: Load, runs: int) -> tuple[float, float]:
    """Median req/s of the actor GET and the WebFinger GET."""
    actor = wrk_median(wrk, paths.actor, load, runs)
    jrd = wrk_median(wrk, paths.webfinger, Load(load.threads, load.connections, load.seconds,
                                                "application/jrd+json"), runs)  # fmt: skip
    return actor, jrd


def reference(wrk: str, app: str, env: dict[str, str], load: Load, runs: int) -> tuple[float, ...]:
    """Serve `app` (bench._apps factory) alone and measure both paths."""
    port = free_port()
    paths = Paths(f"http://127.0.0.1:{port}", f"127.0.0.1:{port}")
    with running(uvicorn_command(app, port), paths.actor, env):
        return measure(wrk, paths, load, runs)


def ratios(node: tuple[float, ...], ref: tuple[float, ...]) -> tuple[float, ...]:
    """Node figure over reference figure, path by path."""
    return tuple(n / r for n, r in zip(node, ref, strict=True))


def report(results: dict[str, tuple[float, ...]]) -> None:
    """Print req/s per server and path, and the node's ratios to (a) and (b)."""
    print(f"\n{'server':<34}{'actor GET':>12}{'WebFinger GET':>16}")
    for name, (actor, jrd) in results.items():
        print(f"{name:<34}{actor:>12,.0f}{jrd:>16,.0f}")
    for key, ref in (("s/a", ROUTE), ("s/b", BARE)):
        actor, jrd = ratios(results[NODE], results[ref])
        print(f"ratio {key}: actor {actor:.2f}, WebFinger {jrd:.2f}")
    verdict = "meets" if min(ratios(results[NODE], results[ROUTE])) >= TARGET else "BELOW"
    print(f"target s/a >= {TARGET}: {verdict}")


def main() -> None:
    """Measure (s), (a), (b) one after another and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one wrk run")
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per path (median)")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    started = time.monotonic()
    wrk = ensure_wrk()
    load = Load(connections=args.connections, seconds=args.seconds)
    results: dict[str, tuple[float, ...]] = {}
    with tempfile.TemporaryDirectory(prefix="smartnode-bench-") as tmp:
        work = Path(tmp)
        with real_node(work) as paths:
            env = fetch_bodies(paths, work)
            results[NODE] = measure(wrk, paths, load, args.runs)
        for name, app in ((ROUTE, "bench._apps:fastapi_app"), (BARE, "bench._apps:bare_app")):
            results[name] = reference(wrk, app, env, load, args.runs)
    report(results)
    print(f"\n{args.runs} x {args.seconds:.0f} s wrk runs per path, -t{load.threads} "
          f"-c{load.connections}; whole run {time.monotonic() - started:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
