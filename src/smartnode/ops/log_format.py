"""Log lines as one JSON object each, for log collectors: time, level, logger, message and the
facts a line was given (`extra=`: route, status, job, outcome, duration…). Tracebacks go in
`error`. Text lines for people on a terminal are uvicorn's usual ones."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

#: Attributes every LogRecord has: what is not among them was given by the caller (`extra=`).
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_STANDARD |= {"color_message"}  # uvicorn's coloured copy of the message


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }  # fmt: skip
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def wants_json(log_format: str) -> bool:
    """Whether lines are JSON: asked for, or `auto` with no terminal on stderr."""
    if log_format == "auto":
        return not sys.stderr.isatty()
    return log_format == "json"
