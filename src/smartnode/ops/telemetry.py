"""FastAPI's own OpenTelemetry hooks, which the node leaves off.

The node reports through `/metrics` and its logs (docs/operations.md). Left on, the hooks look
for a configured OpenTelemetry provider in the environment on every request: about 3 µs, a
sixth of what the app spends on a cached GET.
"""

from __future__ import annotations

from fastapi.telemetry import TelemetryConfig

NO_OPENTELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}
