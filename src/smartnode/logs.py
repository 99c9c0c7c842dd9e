"""Logging of the server processes: uvicorn's own, plus smartnode's loggers (requests, jobs,
peering states, refused documents, failed jobs) on the same stream at the same level, as text
lines or one JSON object a line (SMARTNODE_LOG_FORMAT; ops/log_format.py)."""

from __future__ import annotations

import copy
import logging.config
from typing import Any

from uvicorn.config import LOGGING_CONFIG

from smartnode.ops.log_format import wants_json

JSON_FORMATTER = {"()": "smartnode.ops.log_format.JsonFormatter"}


def server_log_config(level: str, log_format: str = "auto") -> dict[str, Any]:
    """uvicorn's logging configuration with a `smartnode` logger beside its own; its
    formatters write JSON lines when `log_format` says so."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["smartnode"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    config["handlers"]["requests"] = {  # the request log's lines, written in batches
        "class": "smartnode.ops.request_log.LineBuffer",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["smartnode.request"] = {
        "handlers": ["requests"],
        "level": level.upper(),
        "propagate": False,
    }
    if wants_json(log_format):
        config["formatters"] = {"default": JSON_FORMATTER, "access": JSON_FORMATTER}
    return config


def configure_process_logging(level: str, log_format: str) -> None:
    """The same lines for a process uvicorn does not start (`smartnode worker`)."""
    logging.config.dictConfig(server_log_config(level, log_format))
