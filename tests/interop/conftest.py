"""Interop tests: an independent ActivityPub implementation (Fedify, on Node) talks to a real
`smartnode serve` process over loopback. They never skip: CI must prove interop."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FEDIFY_DIR = Path(__file__).parent / "fedify"
MIN_NODE_MAJOR = 20
SETUP_HINT = "run `make test` (it installs them) or `npm ci` in tests/interop/fedify"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "interop: another fediverse implementation talks to a real smartnode process"
    )


def node_binary() -> str:
    """Path of a usable `node` (v20+) with Fedify installed; fails the test (never skips) if not."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"`node` (v{MIN_NODE_MAJOR}+) is not on PATH: the Fedify interop test needs it")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    match = re.match(r"v(\d+)\.", version.stdout.strip())
    if match is None or int(match.group(1)) < MIN_NODE_MAJOR:
        pytest.fail(f"`node` is {version.stdout.strip()!r}; v{MIN_NODE_MAJOR}+ is needed")
    if not (FEDIFY_DIR / "node_modules" / "@fedify" / "fedify" / "package.json").is_file():
        pytest.fail(f"the npm packages in {FEDIFY_DIR} are not installed: {SETUP_HINT}")
    return node


def fedify_discover(origin: str, *queries: str, timeout: float = 60) -> dict[str, Any]:
    """Run discover.mjs (Fedify's lookupWebFinger/lookupObject/traverseCollection) on `origin`.

    Returns {fedify, node, webfingerOverHttp, results: {query: result}}.
    """
    node = node_binary()
    done = subprocess.run(
        [node, "discover.mjs", origin, *queries],
        cwd=FEDIFY_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"discover.mjs exited {done.returncode}:\n{done.stderr[-4000:]}")
    report: dict[str, Any] = json.loads(done.stdout)
    report["results"] = {result["query"]: result for result in report["results"]}
    return report


@pytest.fixture(scope="session")
def fedify() -> Callable[..., dict[str, Any]]:
    """`fedify(origin, *queries)`: what Fedify sees of a node (fails, never skips, without Node)."""
    node_binary()  # fail before any server starts
    return fedify_discover
