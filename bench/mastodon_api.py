"""The Mastodon client API of a real node against the same answers served from memory.

Run: .venv/bin/python -m bench.mastodon_api   (about a minute; installs wrk if missing)

A node (`smartnode init`, `smartnode seed`, a member token for astrid, then 40 statuses she
posts through POST /api/v1/statuses) is served two ways, each alone on 127.0.0.1 with one
uvicorn worker (uvloop, httptools, no access log):
  (s) `smartnode serve` (no worker inside), as configured by default: the first request of a
      token checks it, reads the timeline or the account and renders Mastodon's entities; the
      same request again, nothing written meanwhile, gets the kept answer
      (api/mastodon/answer_cache.py);
  (m) the same node with SMARTNODE_DOCUMENT_CACHE_SECONDS=0: every request is a miss, as it
      is after each write (shown for what a miss costs; the target is on (s));
  (a) bench._mastodon_app: a FastAPI route returning the bytes the node answered, in memory.
wrk drives GET /api/v1/timelines/home?limit=40 and GET /api/v1/accounts/verify_credentials
with astrid's bearer token, after a short warm-up; servers take turns in rounds; medians and
the ratio s/a are printed. Target: s/a >= 0.5 on both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx

from bench._servers import Load, ensure_wrk, free_port, running, uvicorn_command, wrk_once
from bench.pages import SMARTNODE, node_env, serve_node

TARGET = 0.5
STATUSES = 40
PATHS = ["/api/v1/timelines/home?limit=40", "/api/v1/accounts/verify_credentials"]
NAMES = ["home timeline (40)", "verify_credentials"]
NODE = "(s) smartnode serve"
MISS = "(m) smartnode serve, nothing kept"
ROUTE = "(a) FastAPI, answers from memory"


def prepare(env: dict[str, str], port: int) -> str:
    """The node seeded, astrid's token, her STATUSES statuses; the token."""
    full = {**os.environ, **env}
    for args in (["init"], ["seed"]):
        subprocess.run([SMARTNODE, *args], env=full, check=True, capture_output=True)
    made = subprocess.run([SMARTNODE, "token", "create", "bench", "--member", "astrid"],
                          env=full, check=True, capture_output=True, text=True)  # fmt: skip
    token = made.stdout.strip().splitlines()[-1].strip()
    with serve_node(env, port) as origin, httpx.Client(base_url=origin, timeout=30) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for n in range(STATUSES):
            answer = client.post("/api/v1/statuses", headers=headers,
                                 data={"status": f"Rehearsal note {n} #brass"})  # fmt: skip
            answer.raise_for_status()
        home = client.get(PATHS[0], headers=headers)
        home.raise_for_status()
        assert len(home.json()) == STATUSES, len(home.json())
    return token


def measure(wrk: str, origin: str, load: Load, warmup: float) -> list[float]:
    figures = []
    for path in PATHS:
        wrk_once(wrk, origin + path, replace(load, seconds=warmup))
        figures.append(wrk_once(wrk, origin + path, load))
    return figures


def report(runs: dict[str, list[list[float]]]) -> None:
    print(f"\n{'server':<36}" + "".join(f"{name:>26}" for name in NAMES))
    for server, figures in runs.items():
        cells = [f"{statistics.median(f[i] for f in figures):,.0f} "
                 f"({min(f[i] for f in figures):,.0f}-{max(f[i] for f in figures):,.0f})"
                 for i in range(len(NAMES))]  # fmt: skip
        print(f"{server:<36}" + "".join(f"{cell:>26}" for cell in cells))

    def ratios_of(server: str) -> list[float]:
        return [
            statistics.median(f[i] for f in runs[server])
            / statistics.median(f[i] for f in runs[ROUTE])
            for i in range(len(NAMES))
        ]

    ratios = ratios_of(NODE)
    print("ratio s/a: " + ", ".join(f"{n} {r:.2f}" for n, r in zip(NAMES, ratios, strict=True)))
    misses = ratios_of(MISS)
    print("ratio m/a: " + ", ".join(f"{n} {r:.2f}" for n, r in zip(NAMES, misses, strict=True)))
    print(f"target s/a >= {TARGET}: {'meets' if min(ratios) >= TARGET else 'BELOW'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one wrk run")
    parser.add_argument("--runs", type=int, default=3, help="rounds (median over them)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up before each run")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    started = time.monotonic()
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="smartnode-bench-mastodon-") as tmp:
        port = free_port()
        env = node_env(Path(tmp), port)
        token = prepare(env, port)
        load = Load(connections=args.connections, seconds=args.seconds, accept="application/json",
                    headers=(f"Authorization: Bearer {token}",))  # fmt: skip
        runs: dict[str, list[list[float]]] = {NODE: [], MISS: [], ROUTE: []}
        uncached = {**env, "SMARTNODE_DOCUMENT_CACHE_SECONDS": "0"}
        reference_env = {**env, "SMARTNODE_BENCH_PATHS": ",".join(PATHS),
                         "SMARTNODE_BENCH_TOKEN": token}  # fmt: skip
        for _ in range(args.runs):
            with serve_node(env, port) as origin:
                runs[NODE].append(measure(wrk, origin, load, args.warmup))
            with serve_node(uncached, port) as origin:
                runs[MISS].append(measure(wrk, origin, load, args.warmup))
            reference_port = free_port()
            with running(uvicorn_command("bench._mastodon_app:reference_app", reference_port),
                         f"http://127.0.0.1:{reference_port}/api/v1/accounts/verify_credentials",
                         reference_env):  # fmt: skip
                origin = f"http://127.0.0.1:{reference_port}"
                runs[ROUTE].append(measure(wrk, origin, load, args.warmup))
    report(runs)
    print(f"\n{args.runs} rounds of {args.seconds:.0f} s wrk runs per path after "
          f"{args.warmup:.0f} s warm-up, -t{load.threads} -c{load.connections}; "
          f"whole run {time.monotonic() - started:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
