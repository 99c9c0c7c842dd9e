"""The route template an answered request matched, for the metrics' labels and the request log.

The label is the template the request matched (`/members/{username}`), never its path: FastAPI
routes leave their route in the scope (its path without the router's prefix, which is put
back), plain routes their endpoint (looked up once among the app's routes), mounts their root.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import Route
from starlette.types import Scope

#: The route label of a request that matched no route (bounded: never the raw path).
UNMATCHED = "unmatched"
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")
_PARAM_NAMES = re.compile(r"\{([^}]*)\}")


class RouteTemplates:
    """The route template a request matched, read off its scope once it is answered."""

    def __init__(self) -> None:
        self._plain: dict[Any, str] | None = None
        self._segments: dict[str, int] = {}  # template: its "/"s (-1: a parameter may hold "/")

    def of(self, scope: Scope) -> str:
        """The route template of an answered request (UNMATCHED when none matched)."""
        path = getattr(scope.get("route"), "path", None)
        if isinstance(path, str):
            return self._prefixed(scope, path)
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return UNMATCHED
        if self._plain is None:
            routes = getattr(getattr(scope.get("app"), "router", None), "routes", [])
            self._plain = {r.endpoint: r.path for r in routes if isinstance(r, Route)}
        found = self._plain.get(endpoint)
        if found is not None:
            return found
        root = str(scope.get("root_path", ""))
        return f"{root}/{{path}}" if root else UNMATCHED

    def _prefixed(self, scope: Scope, template: str) -> str:
        """with_prefix(), cheaply: the path without as many segments as the template has."""
        segments = self._segments.get(template)
        if segments is None:
            spans = any(":" in name for name in _PARAM_NAMES.findall(template))  # {p:path}
            segments = self._segments[template] = -1 if spans else template.count("/")
        path = str(scope.get("path", ""))
        if segments < 0 or path.count("/") < segments:
            return with_prefix(scope, template)
        return path.rsplit("/", segments)[0] + template


def with_prefix(scope: Scope, template: str) -> str:
    """`template` with the prefix of the router it was included under, read off the path."""
    params = scope.get("path_params") or {}
    try:
        rendered = _PARAM.sub(lambda m: str(params[m.group(1)]), template)
    except KeyError:
        return template
    path = str(scope.get("path", ""))
    if rendered and path.endswith(rendered):
        return path[: len(path) - len(rendered)] + template
    return template
