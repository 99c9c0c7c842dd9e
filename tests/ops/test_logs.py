"""Structured logs: one JSON object a line with the facts of each request and each job, the
request id sent back, never a raw path's query (where tokens may travel); `auto` writes text on
a terminal and JSON elsewhere; a real `smartnode serve` writes JSON lines when told to."""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from smartnode.config import Settings
from smartnode.logs import server_log_config
from smartnode.ops.log_format import JsonFormatter, wants_json
from smartnode.outbox.publish import FANOUT
from smartnode.storage.db import Database
from smartnode.storage.models import Job
from tests.conftest import make_member
from tests.ops import node_client
from tests.servers import Server, smartnode_server
from tests.test_jobs import worker as worker  # the fixture

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _json_lines(records: list[logging.LogRecord]) -> list[dict[str, object]]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(record)) for record in records]


def test_a_record_becomes_one_json_line_with_its_facts_and_traceback() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.LogRecord("smartnode.x", logging.ERROR, __file__, 1, "job %s failed",
                                   (7,), sys.exc_info())  # fmt: skip
    record.job_id = 7
    line = JsonFormatter().format(record)
    assert "\n" not in line.strip().split("\n")[0] and line.startswith("{")
    parsed = json.loads(line)
    assert parsed["message"] == "job 7 failed" and parsed["level"] == "error"
    assert parsed["logger"] == "smartnode.x" and parsed["job_id"] == 7
    assert parsed["time"].endswith("Z") and "ValueError: broken" in parsed["error"]


def test_auto_is_text_on_a_terminal_and_json_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert not wants_json("auto") and wants_json("json")
    assert "JsonFormatter" not in str(server_log_config("info", "auto")["formatters"])
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert wants_json("auto") and not wants_json("text")
    config = server_log_config("info", "auto")
    assert config["formatters"]["default"]["()"].endswith("JsonFormatter")


async def test_each_request_is_one_line_with_its_route_status_and_id(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await make_member(db, settings, "anna")
    caplog.set_level(logging.INFO, logger="smartnode.request")
    async with node_client(settings, request_log=True) as client:
        found = await client.get("/members/anna?access_token=secret-in-query",
                                 headers={"Accept": "application/activity+json",
                                          "X-Request-Id": "abc-123"})  # fmt: skip
        missing = await client.get("/members/nobody", headers={"Accept": "text/html"})
        unsigned = await client.post("/inbox", content=b"{}")  # answered by InboxFirst
    assert unsigned.status_code == 401 and len(unsigned.headers["x-request-id"]) == 16
    assert found.status_code == 200 and found.headers["x-request-id"] == "abc-123"
    made = missing.headers["x-request-id"]
    assert len(made) == 16
    lines = _json_lines([r for r in caplog.records if r.name == "smartnode.request"])
    assert [(line["route"], line["status"]) for line in lines] == [
        ("/members/{username}", 200), ("/members/{username}", 404), ("/inbox", 401)]  # fmt: skip
    assert [line["request_id"] for line in lines][:2] == ["abc-123", made]
    assert all(isinstance(line["duration_ms"], float) for line in lines)
    assert "secret-in-query" not in caplog.text and "nobody" not in caplog.text


async def test_requests_are_not_logged_unless_asked(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="smartnode.request")
    async with node_client(settings) as client:
        answer = await client.get("/healthz")
    assert answer.status_code == 200 and "x-request-id" not in answer.headers
    assert not [r for r in caplog.records if r.name == "smartnode.request"]


async def test_each_job_run_is_one_line_with_its_outcome(
    db: Database,
    worker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with db.session() as s, s.begin():
        payloads = ({"activity_id": 999_999}, {"wrong": 1})
        rows = [Job(kind=FANOUT, payload=payload, state="pending", run_at=NOW, attempts=0,
                    created_at=NOW) for payload in payloads]  # fmt: skip
        s.add_all(rows)
        await s.flush()
        done, broken = (row.id for row in rows)
    caplog.set_level(logging.INFO, logger="smartnode.worker")
    await worker.run_once(NOW)
    lines = [line for line in _json_lines(caplog.records) if "outcome" in line]
    outcomes = {line["job_id"]: (line["kind"], line["outcome"]) for line in lines}
    assert outcomes == {done: (FANOUT, "done"), broken: (FANOUT, "retry")}


def _served_lines(server: Server, request_id: str) -> list[dict[str, object]]:
    """The node's JSON log lines once the one of `request_id` is written (it follows the
    answer: the line is logged once the answer is sent)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [json.loads(text) for text in server.log().splitlines() if text.startswith("{")]
        if any(line.get("request_id") == request_id for line in lines):
            return lines
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)


def test_a_served_node_writes_json_lines(tmp_path: Path) -> None:
    overrides = {"SMARTNODE_LOG_FORMAT": "json", "SMARTNODE_REQUEST_LOG": "true"}
    with smartnode_server(tmp_path / "node", env=overrides) as server:
        answer = httpx.get(f"{server.base_url}/healthz", timeout=10)
        assert answer.status_code == 200
        lines = _served_lines(server, answer.headers["x-request-id"])
    served = [line for line in lines if line.get("request_id") == answer.headers["x-request-id"]]
    assert served[0]["route"] == "/healthz" and served[0]["status"] == 200
    assert all(isinstance(line["message"], str) for line in lines)  # uvicorn's own lines too


async def test_a_refused_inbox_post_gives_its_reason_at_debug_only(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A flood of refused POSTs must not become a flood of log lines at the usual level: each
    is counted by reason in the metrics; its reason is a DEBUG line."""
    caplog.set_level(logging.DEBUG, logger="smartnode.inbox")
    async with node_client(settings) as client:
        refused = await client.post("/inbox", content=b"{}")
    assert refused.status_code == 401
    inbox = [r for r in caplog.records if r.name.startswith("smartnode.inbox")]
    assert [r.levelno for r in inbox if "refused (401)" in r.getMessage()] == [logging.DEBUG]
    assert not [r for r in inbox if r.levelno >= logging.INFO]
