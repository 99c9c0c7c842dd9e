"""Logging of the server processes: uvicorn's own, plus smartnode's loggers (peering states,
refused documents, failed jobs) on the same stream at the same level."""

from __future__ import annotations

import copy
from typing import Any

from uvicorn.config import LOGGING_CONFIG


def server_log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging configuration with a `smartnode` logger beside its own."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["smartnode"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config
