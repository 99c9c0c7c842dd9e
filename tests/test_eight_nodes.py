"""The whole federation: the eight national nodes of `smartnode demo` on loopback, each with its
own database, peering in a shuffled order as separate operators would. Every board lists every
node's open calls, a member on `at` applies to a call on `se` and is accepted across the
federation, and every node names every person by their own handle, port and all."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson

from tests.servers import HOST, RunningProcess, check_cli, free_ports, node_env, started

COUNTRIES = ("se", "be", "fr", "nl", "it", "es", "de", "at")
#: The issue's bound: every board complete within 30 s of the operators' first peer add.
BOARDS_WITHIN = 30
T = TypeVar("T")


def wait_for(check: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"{what} did not happen within {timeout:g} s")


def wait_for_line(demo: RunningProcess, pattern: str, timeout: float) -> re.Match[str]:
    def seen() -> re.Match[str] | None:
        if demo.process.poll() is not None:
            raise demo.fail(f"the demo exited before {pattern!r}")
        return re.search(pattern, demo.log())

    try:
        return wait_for(seen, pattern, timeout)
    except AssertionError:
        raise demo.fail(f"{pattern!r} did not show within {timeout:g} s") from None


class DemoNode:
    """One node of the demo: its address, its CLI and its JSON API (as an admin)."""

    def __init__(self, root: Path, code: str, port: int) -> None:
        self.code, self.port = code, port
        self.base_url = f"http://{HOST}:{port}"
        self.env = node_env(root / code, port)
        self._token = ""

    def handle(self, name: str) -> str:
        return f"@{name}@{HOST}:{self.port}"

    def cli(self, *args: str) -> str:
        return check_cli(args, self.env)

    def api(self, method: str, path: str, body: dict[str, Any] | None = None,
            *, as_: str | None = None) -> Any:  # fmt: skip
        if not self._token:
            self._token = self.cli("token", "create", "eight-node test").strip()
        answer = httpx.request(
            method, self.base_url + path, json=body, params={"as": as_} if as_ else None,
            headers={"Authorization": f"Bearer {self._token}"}, timeout=30,
        )  # fmt: skip
        assert answer.is_success, f"{self.code} {method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    def board(self) -> list[dict[str, Any]]:
        return list(self.api("GET", "/api/smart/v1/board?limit=100")["items"])

    def members(self) -> list[dict[str, Any]]:
        return list(orjson.loads(self.cli("member", "list", "--json")))


def test_eight_nodes_peer_in_any_order_and_work_as_one_federation(tmp_path: Path) -> None:
    first = free_ports(len(COUNTRIES))
    nodes = {code: DemoNode(tmp_path, code, first + n) for n, code in enumerate(COUNTRIES)}
    args = ["demo", "--nodes", ",".join(COUNTRIES), "--base-port", str(first),
            "--data-dir", str(tmp_path), "--duration", "600"]  # fmt: skip
    with started(args, node_env(tmp_path, first), tmp_path / "demo.log") as demo:
        shuffled = wait_for_line(demo, r"Peering: each node added the 7 others", 240)
        assert shuffled
        complete = wait_for_line(demo, r"Boards complete: [^\n]*\((\d+) s\)", 120)
        assert int(complete.group(1)) <= BOARDS_WITHIN, demo.log()[-3000:]
        assert re.search(r"Federation complete: 8 nodes, 56 follows accepted", demo.log())
        try:
            _every_board_lists_every_node(nodes)
            _a_member_on_at_applies_on_se_and_is_accepted(nodes)
        except AssertionError as error:
            raise demo.fail(str(error)) from None
        assert demo.stop(signal.SIGINT) == 0, demo.log()[-3000:]
    assert "Traceback" not in demo.log()


def _every_board_lists_every_node(nodes: dict[str, DemoNode]) -> None:
    origins = {node.base_url for node in nodes.values()}
    for node in nodes.values():
        board = node.board()
        authors = {item["uri"].split("/calls/")[0] for item in board}
        assert authors == origins, (node.code, sorted(origins - authors))
        for item in board:  # each call named by its own node's project handle
            home = next(n for n in nodes.values() if item["uri"].startswith(n.base_url + "/"))
            assert item["author_handle"].endswith(f"@{HOST}:{home.port}"), (node.code, item)


def _a_member_on_at_applies_on_se_and_is_accepted(nodes: dict[str, DemoNode]) -> None:
    se, at = nodes["se"], nodes["at"]
    call = next(item for item in at.board() if item["uri"].startswith(se.base_url + "/"))
    slug = call["author_handle"].split("@")[1]
    [coordinator] = [m["actor_uri"].rsplit("/", 1)[1]
                     for m in httpx.get(se.base_url + "/api/smart/v1/teams",
                                        params={"project": f"{se.base_url}/projects/{slug}"},
                                        timeout=30).json()["team"]
                     if m["role"] == "coordinator"][:1]  # fmt: skip
    applicant = at.members()[0]["username"]
    applied = at.api("POST", "/api/smart/v1/applications",
                     {"call": call["uri"], "motivation": "Ich habe drei Saisons getourt."},
                     as_=applicant)  # fmt: skip
    assert applied["state"] == "pending" and applied["local"] is False

    def held() -> list[dict[str, Any]]:
        items = se.api("GET", f"/api/smart/v1/projects/{slug}/applications", as_=coordinator)[
            "items"
        ]
        return [a for a in items if a["applicant"] == f"{at.base_url}/members/{applicant}"]

    [application] = wait_for(held, "the application reaching se")
    se.api("POST", f"/api/smart/v1/applications/{application['id']}/accept", {"role": "member"},
           as_=coordinator)  # fmt: skip

    def accepted() -> list[dict[str, Any]]:
        mine = at.api("GET", "/api/smart/v1/applications", as_=applicant)["items"]
        return [a for a in mine if a["uri"] == applied["uri"] and a["state"] == "accepted"]

    wait_for(accepted, "the Accept reaching the applicant on at")
    project = f"{se.base_url}/projects/{slug}"
    for node in (se, at):  # the team as each node shows it: everyone by their own handle

        def team(node: DemoNode = node) -> dict[str, str]:
            found = httpx.get(node.base_url + "/api/smart/v1/teams", params={"project": project},
                              timeout=30)  # fmt: skip
            if found.status_code != 200:
                return {}
            return {m["actor_uri"]: m["handle"] for m in found.json()["team"]}

        handles = wait_for(lambda: (h := team()) and f"{at.base_url}/members/{applicant}" in h
                           and h, f"{node.code} knowing the new team member")  # fmt: skip
        assert handles[f"{at.base_url}/members/{applicant}"] == at.handle(applicant)
        if node is se:  # at knows the team members it was told of; se knows them all
            assert handles[f"{se.base_url}/members/{coordinator}"] == se.handle(coordinator)
    page = httpx.get(project, headers={"Accept": "text/html"}, timeout=30).text
    assert at.handle(applicant) in page
