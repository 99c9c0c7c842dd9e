"""Log lines as one JSON object each, for log collectors: time, level, logger, message and the
facts a line was given (`extra=`: route, status, job, outcome, duration…). Tracebacks go in
`error`. Text lines for people on a terminal are uvicorn's usual ones."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from typing import Any

import orjson

#: Attributes every LogRecord has: what is not among them was given by the caller (`extra=`).
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_STANDARD |= {"color_message"}  # uvicorn's coloured copy of the message


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._second = -1
        self._second_text = ""

    def format(self, record: logging.LogRecord) -> str:
        facts = {key: value for key, value in vars(record).items()
                 if key not in _STANDARD and not key.startswith("_")}  # fmt: skip
        error = self.formatException(record.exc_info) if record.exc_info else None
        return self.line(
            record.created, record.levelname, record.name, record.getMessage(), facts, error
        )

    def line(
        self,
        created: float,
        level: str,
        logger: str,
        message: str,
        facts: Mapping[str, Any],
        error: str | None = None,
    ) -> str:
        """The JSON line of a record made of these parts."""
        line: dict[str, Any] = {"time": self.time_text(created), "level": level.lower(),
                                "logger": logger, "message": message, **facts}  # fmt: skip
        if error is not None:
            line["error"] = error
        return orjson.dumps(line, default=str).decode()

    def time_text(self, created: float) -> str:
        """`created` in UTC to the millisecond, `2026-12-07T21:21:13.042Z`; the second's text
        is kept, since a busy node writes many lines in the same second."""
        milliseconds = int(created * 1000)
        second = milliseconds // 1000
        if second != self._second:
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._second_text}.{milliseconds % 1000:03d}Z"


def wants_json(log_format: str) -> bool:
    """Whether lines are JSON: asked for, or `auto` with no terminal on stderr."""
    if log_format == "auto":
        return not sys.stderr.isatty()
    return log_format == "json"
