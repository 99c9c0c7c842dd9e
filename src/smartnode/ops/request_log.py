"""The request log: one line per HTTP request once it is answered, with its method, route
template (never the raw path nor its query, which may hold tokens), status, duration and a
request id (the client's `X-Request-Id` when it sends a sane one, else one made here, and sent
back either way). INFO, 5xx at ERROR, on the `smartnode.request` logger.

A served node's lines go to a `LineBuffer` (logs.server_log_config). The request log hands it
each request's facts as a plain tuple, without a LogRecord, and the buffer makes their JSON
lines when it writes a batch: through `logging`, a record and a write each, the lines nearly
doubled what a cached GET cost a served node (docs/performance.md, "The request log"). Any
other set-up of that logger (a test's capture, an operator's own configuration) gets the same
line as a record through `logging`, at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from typing import Any, TextIO

import orjson

from smartnode.ops.log_format import JsonFormatter

log = logging.getLogger("smartnode.request")
_SANE_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")

#: A request's facts until its line is written: time.time() when answered, method, route,
#: status, seconds taken, request id (ASCII bytes, as sent back: letters, digits, `._-`).
Facts = tuple[float, str, str, int, float, bytes]


class RequestIds:
    """The id of each request: the client's `X-Request-Id` when it is sane, else 16 random hex
    digits, cut from random bytes drawn 512 ids at a time (one system call, not one each).
    Bytes, as the answer's header carries them."""

    def __init__(self) -> None:
        self._random = b""
        self._at = 0

    def of(self, headers: Any) -> bytes:
        for name, value in headers:
            if name == b"x-request-id" and _SANE_ID.fullmatch(value):
                return bytes(value)
        if self._at >= len(self._random):
            self._random, self._at = os.urandom(4096).hex().encode(), 0
        self._at += 16
        return self._random[self._at - 16 : self._at]


def level_of(status: int) -> int:
    return logging.ERROR if status >= 500 else logging.INFO


def message_of(facts: Facts) -> str:
    _created, method, route, status, seconds, _id = facts
    return f"{method} {route} {status} {round(seconds * 1000, 2):.1f} ms"


def extra_of(facts: Facts) -> dict[str, Any]:
    """What a request's line says besides its message (`extra=` of its record)."""
    _created, method, route, status, seconds, request_id = facts
    return {"request_id": request_id.decode(), "method": method, "route": route, "status": status,
            "duration_ms": round(seconds * 1000, 2)}  # fmt: skip


def json_lines(items: list[str | Facts], formatter: JsonFormatter, end: str) -> str:
    """Each item's line and `end`: a line as it is, a request's facts as the line `formatter`
    makes of its record, from a template per method, route and status (their text escaped
    once), all in one loop."""
    parts, last, when = [], -1, ""
    for item in items:
        if isinstance(item, str):
            parts.append(item + end)
            continue
        created, method, route, status, seconds, request_id = item
        if int(created * 1000) != last:  # lines of one millisecond share its text
            last, when = int(created * 1000), formatter.time_text(created)
        template = _TEMPLATES.get((method, route, status)) or _template(method, route, status)
        duration_ms = round(seconds * 1000, 2)
        parts.append(template % (when, duration_ms, request_id.decode(), duration_ms) + end)
    return "".join(parts)


_TEMPLATES: dict[tuple[str, str, int], str] = {}


def _template(method: str, route: str, status: int) -> str:
    """The line of a request with this method, route and status, less its time, duration and
    id (`%` placeholders); kept for the first few thousand."""
    verb, path = (orjson.dumps(text).decode()[1:-1].replace("%", "%%") for text in (method, route))
    level = "error" if status >= 500 else "info"
    template = (
        f'{{"time":"%s","level":"{level}","logger":"{log.name}","message":"{verb} {path} '
        f'{status} %.1f ms","request_id":"%s","method":"{verb}","route":"{path}",'
        f'"status":{status},"duration_ms":%r}}'
    )
    if len(_TEMPLATES) < 4096:
        _TEMPLATES[method, route, status] = template
    return template


class LineBuffer(logging.StreamHandler[TextIO]):
    """A stream handler that writes its lines in batches: when `size` lines are waiting, after
    `seconds` otherwise (on the event loop of the line that started the batch; at once with no
    loop), at once for an ERROR or worse, and when it is flushed (a served app's shutdown,
    logging's own at exit). It takes records (`emit`) and, from the request log, requests'
    facts, whose JSON lines it makes as it writes them."""

    def __init__(self, stream: TextIO | None = None, size: int = 256, seconds: float = 0.5):
        super().__init__(stream)
        self.size = size
        self.seconds = seconds
        self.waiting: list[str | Facts] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.add(self.format(record), record.levelno)
        except Exception:  # logging's contract: a broken line is reported, not raised
            self.handleError(record)

    def add(self, line: str | Facts, level: int) -> None:
        """Keep a line (or a request's facts) for the next batch; at once if it is an error."""
        with self.lock:  # type: ignore[union-attr]  # made by Handler.__init__
            self.waiting.append(line)
            if level >= logging.ERROR or len(self.waiting) >= self.size:
                self.flush()
            else:
                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:
                    self.flush()
                    return
                if self._timer is None or self._timer_loop is not loop:  # or its loop is gone
                    self._stop_timer()
                    self._timer, self._timer_loop = loop.call_later(self.seconds, self.flush), loop

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._stop_timer()
            waiting, self.waiting = self.waiting, []
            try:
                if waiting:
                    self.stream.write(self._text(waiting))
                super().flush()
            except Exception:  # as a handler does: reported, never raised into a request
                if waiting:  # (a closed stream with nothing to write loses nothing)
                    self.handleError(logging.makeLogRecord({"msg": f"{len(waiting)} lines lost"}))

    def _stop_timer(self) -> None:
        loop = self._timer_loop
        if self._timer is not None and loop is not None and not loop.is_closed():
            self._timer.cancel()
        self._timer = self._timer_loop = None

    def _text(self, waiting: list[str | Facts]) -> str:
        if isinstance(self.formatter, JsonFormatter):
            return json_lines(waiting, self.formatter, self.terminator)
        return "".join([self._line(item) + self.terminator for item in waiting])

    def _line(self, item: str | Facts) -> str:
        """A line, or a request's record formatted (its formatter changed since it was kept)."""
        if isinstance(item, str):
            return item
        record = log.makeRecord(log.name, level_of(item[3]), __file__, 0, "%s",
                                (message_of(item),), None, extra=extra_of(item))  # fmt: skip
        record.created = item[0]
        return self.format(record)


class RequestLines:
    """Writes the request log's lines. A request answered while a batch of the logger's
    `LineBuffer` is under way joins it as facts, with nothing checked but its status; the
    first of a batch, a 5xx, or any request when the logger has another set-up, is checked in
    full: its facts start a batch when the logger's one handler is a LineBuffer that writes
    JSON and nothing is filtered or propagated, else it goes through `logging` as a record.
    A change of set-up takes effect with the next batch (half a second at most); the lines
    kept meanwhile are written by the buffer that took them, which dictConfig flushes as it
    replaces it."""

    def __init__(self) -> None:
        self._buffer: LineBuffer | None = None  # the handler of the batch under way

    def answered(
        self, method: str, route: str, status: int, seconds: float, request_id: bytes
    ) -> None:
        """Log one answered request."""
        facts = (time.time(), method, route, status, seconds, request_id)
        buffer = self._buffer
        if buffer is not None and status < 500:
            with buffer.lock:  # type: ignore[union-attr]  # made by Handler.__init__
                waiting = buffer.waiting
                if waiting:
                    waiting.append(facts)
                    if len(waiting) >= buffer.size:
                        buffer.flush()
                    return
        self._checked(facts)

    def flush(self) -> None:
        """Write what waits in the logger's handlers (a served app's shutdown)."""
        for handler in log.handlers:
            handler.flush()

    def _checked(self, facts: Facts) -> None:
        level = level_of(facts[3])
        if not log.isEnabledFor(level):
            return
        buffer = self._buffer = _direct_buffer(level)
        if buffer is None:
            log.log(level, "%s", message_of(facts), extra=extra_of(facts))
        else:
            buffer.add(facts, level)


def _direct_buffer(level: int) -> LineBuffer | None:
    """The logger's one handler when facts may be handed to it: a LineBuffer that formats
    JSON, lets `level` through, with no filters on it or the logger, and nothing propagated."""
    handlers = log.handlers
    if len(handlers) != 1 or log.propagate or log.filters:
        return None
    handler = handlers[0]
    if (
        type(handler) is not LineBuffer
        or handler.filters
        or level < handler.level
        or not isinstance(handler.formatter, JsonFormatter)
    ):
        return None
    return handler
