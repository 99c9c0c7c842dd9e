"""The request log's lines written in batches (ops/request_log.LineBuffer): a served node's
lines are handed to its buffer built, the same lines `logging` would write; they wait for a
batch's size or its time, an error is written at once, and a shutting-down app writes what
waits before the server is told it has shut down."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.logs import server_log_config
from smartnode.ops.log_format import JsonFormatter
from smartnode.ops.request_log import (
    LineBuffer,
    RequestIds,
    extra_of,
    json_lines,
    log,
    message_of,
)
from smartnode.storage.db import Database
from tests.conftest import make_member
from tests.ops import METRICS_TOKEN, node_client, scrape, value

ACTIVITY = {"Accept": "application/activity+json"}


@contextmanager
def served_setup() -> Iterator[LineBuffer]:
    """The request logger set up as a served node's is (one LineBuffer writing JSON, nothing
    propagated), into a string; put back as it was afterwards. Entered in the test itself:
    pytest gives its capture handler to every logger that does not propagate when a test
    starts, and a second handler sends the lines through `logging`."""
    handler = LineBuffer(io.StringIO(), size=256, seconds=3600)
    handler.setFormatter(JsonFormatter())
    kept = log.handlers[:], log.propagate, log.level
    log.handlers[:], log.propagate = [handler], False
    log.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        log.handlers[:], log.propagate = kept[0], kept[1]
        log.setLevel(kept[2])


def _written(handler: LineBuffer) -> list[dict[str, Any]]:
    stream = handler.stream
    assert isinstance(stream, io.StringIO)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_served_node_gives_the_request_log_a_line_buffer() -> None:
    config = server_log_config("info", "json")
    handler = config["handlers"][config["loggers"]["smartnode.request"]["handlers"][0]]
    assert handler["class"] == "smartnode.ops.request_log.LineBuffer"
    assert config["loggers"]["smartnode.request"]["propagate"] is False


@contextmanager
def records_made_of(name: str) -> Iterator[list[logging.LogRecord]]:
    """The records `logging` makes for logger `name` meanwhile (through its record factory)."""
    made: list[logging.LogRecord] = []
    factory = logging.getLogRecordFactory()

    def counting(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        if record.name == name:
            made.append(record)
        return record

    logging.setLogRecordFactory(counting)
    try:
        yield made
    finally:
        logging.setLogRecordFactory(factory)


async def test_lines_handed_built_are_those_logging_writes(
    settings: Settings,
    db: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with served_setup() as buffer, records_made_of(log.name) as made:
        await make_member(db, settings, "anna")
        async with node_client(settings, request_log=True) as client:
            answer = await client.get("/members/anna", headers={**ACTIVITY, "X-Request-Id": "1"})
            assert not made  # handed to the buffer built, without a record
            assert answer.status_code == 200 and not buffer.stream.getvalue()  # waiting
            buffer.flush()
            (built,) = _written(buffer)
            log.propagate = True  # another set-up: the line goes through logging as a record
            log.handlers.clear()
            caplog.set_level(logging.INFO, logger="smartnode.request")
            await client.get("/members/anna", headers={**ACTIVITY, "X-Request-Id": "1"})
        (record,) = [r for r in caplog.records if r.name == "smartnode.request"]
        recorded = json.loads(JsonFormatter().format(record))
        for line in (built, recorded):
            assert len(line.pop("time")) == len("2026-12-07T21:21:13.042Z")
            assert isinstance(line.pop("duration_ms"), float)
            line["message"] = line["message"].rsplit(" ", 2)[0]  # the duration in it
        route = "/members/{username}"
        assert built == recorded == {
            "level": "info", "logger": "smartnode.request", "message": f"GET {route} 200",
            "request_id": "1", "method": "GET", "route": route, "status": 200,
        }  # fmt: skip


async def test_lines_wait_for_the_batch_size_and_an_error_is_written_at_once() -> None:
    with served_setup() as buffer:
        buffer.size = 3
        for number in range(2):
            buffer.add(f"info {number}", logging.INFO)
        assert buffer.stream.getvalue() == ""
        buffer.add("info 2", logging.INFO)
        assert buffer.stream.getvalue() == "info 0\ninfo 1\ninfo 2\n"
        buffer.add("info 3", logging.INFO)
        buffer.add("error 4", logging.ERROR)
        assert buffer.stream.getvalue().endswith("info 2\ninfo 3\nerror 4\n")
        assert not buffer.waiting


async def test_a_lone_line_is_written_after_the_batch_time() -> None:
    with served_setup() as buffer:
        buffer.seconds = 0.05
        buffer.add("lone", logging.INFO)
        assert buffer.stream.getvalue() == ""
        for _ in range(200):  # the loop runs the buffer's timer
            await asyncio.sleep(0.05)
            if buffer.stream.getvalue():
                break
        assert buffer.stream.getvalue() == "lone\n"


def test_without_an_event_loop_a_line_is_written_at_once() -> None:
    with served_setup() as buffer:
        buffer.add("no loop", logging.INFO)
        assert buffer.stream.getvalue() == "no loop\n"


async def test_a_server_error_is_logged_at_error_and_written_at_once(
    settings: Settings, db: Database
) -> None:
    with served_setup() as buffer:
        application = create_app(settings.model_copy(update={"request_log": True}))

        @application.get("/broken-for-the-test")
        async def broken() -> None:
            raise RuntimeError("broken")

        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            answer = await client.get("/broken-for-the-test")
        assert answer.status_code == 500
        (line,) = _written(buffer)  # not waiting for the batch
        assert (line["level"], line["status"]) == ("error", 500)
        assert line["route"] == "/broken-for-the-test"


async def test_the_waiting_lines_are_written_when_the_app_shuts_down(
    settings: Settings, db: Database
) -> None:
    with served_setup() as buffer:
        application = create_app(settings.model_copy(update={"request_log": True}))
        said: list[str] = []
        started = asyncio.Event()
        asked: asyncio.Queue[dict[str, str]] = asyncio.Queue()

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                said.append(buffer.stream.getvalue())
            said.append(message["type"])
            started.set()

        await asked.put({"type": "lifespan.startup"})
        lifespan_scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
        lifespan = asyncio.create_task(application(lifespan_scope, asked.get, send))
        await started.wait()
        assert said == ["lifespan.startup.complete"]
        answers: list[dict[str, Any]] = []

        async def answer(message: dict[str, Any]) -> None:
            answers.append(message)

        async def nothing() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": "/healthz", "raw_path": b"/healthz", "query_string": b"",
                 "root_path": "", "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 1),
                 "server": ("localhost", 80)}  # fmt: skip
        await application(scope, nothing, answer)
        assert answers[0]["status"] == 200 and buffer.waiting
        await asked.put({"type": "lifespan.shutdown"})
        await lifespan
        written, complete = said[-2:]
        assert complete == "lifespan.shutdown.complete"
        assert '"route":"/healthz"' in written and not buffer.waiting


async def test_metrics_and_the_request_log_together_count_and_log_each_request(
    settings: Settings, db: Database
) -> None:
    with served_setup() as buffer:
        async with node_client(
            settings, request_log=True, metrics_token=SecretStr(METRICS_TOKEN)
        ) as client:
            answer = await client.get("/healthz")
            samples = await scrape(client)
        buffer.flush()
        (line, _scrape) = _written(buffer)
        assert line["request_id"] == answer.headers["x-request-id"] and line["route"] == "/healthz"
        counted = value(samples, "smartnode_http_requests_total", route="/healthz", method="GET",
                        status="200")  # fmt: skip
        assert counted == 1


@pytest.mark.parametrize(
    ("method", "route", "status", "seconds"),
    [
        ("GET", "/members/{username}", 200, 0.000321),
        ("POST", "/inbox", 202, 1.5),
        ("GET", 'odd "quoted" \\ 100% route/ü/\u2028', 404, 0.0),
        ("DELETE", "/api/v1/statuses/{id}", 503, 12345.678901),
    ],
)
def test_a_line_made_from_its_template_is_the_formatters_line(
    method: str, route: str, status: int, seconds: float
) -> None:
    formatter = JsonFormatter()
    facts = (1_796_681_273.0429, method, route, status, seconds, b"id-1.x_Y")
    made, after = json_lines([facts], formatter, "\n").split("\n")
    assert after == ""
    level = "error" if status >= 500 else "info"
    assert made == formatter.line(facts[0], level, log.name, message_of(facts), extra_of(facts))
    assert json.loads(made)["route"] == route and json.loads(made)["time"].endswith(".042Z")


def test_a_batch_begun_on_a_loop_that_closed_is_written_by_the_next_loops_timer() -> None:
    with served_setup() as buffer:
        buffer.seconds = 0.05

        async def one_line(line: str, wait: bool) -> None:
            buffer.add(line, logging.INFO)
            for _ in range(200 if wait else 0):
                await asyncio.sleep(0.05)
                if buffer.stream.getvalue():
                    break

        asyncio.run(one_line("first", wait=False))  # its loop closes before the timer fires
        assert buffer.stream.getvalue() == ""
        asyncio.run(one_line("second", wait=True))
        assert buffer.stream.getvalue() == "first\nsecond\n"


def test_a_stream_that_fails_is_reported_not_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with served_setup() as buffer:
        closed = (tmp_path / "closed.log").open("w")
        closed.close()  # writing to it, or flushing it, raises ValueError
        buffer.setStream(closed)
        buffer.add("lost", logging.ERROR)
        assert not buffer.waiting
        reported = capsys.readouterr().err
        assert "Message: '1 lines lost'" in reported
        buffer.flush()  # nothing waits: nothing lost, nothing to report
    assert capsys.readouterr().err == ""


def test_request_ids_keep_a_sane_one_and_make_distinct_ones_otherwise() -> None:
    ids = RequestIds()
    assert ids.of([(b"host", b"x"), (b"x-request-id", b"abc.DEF_1-2")]) == b"abc.DEF_1-2"
    for insane in (b'a"b', b"a" * 65, b"abc\n", b"", "é".encode()):
        made = ids.of([(b"x-request-id", insane)])
        assert made != insane and re.fullmatch(rb"[0-9a-f]{16}", made)
    made = {ids.of([]) for _ in range(2000)}  # across several draws of random bytes
    assert len(made) == 2000 and all(re.fullmatch(rb"[0-9a-f]{16}", one) for one in made)
