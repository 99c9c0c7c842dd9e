"""The error tree. Each error carries an HTTP status and a message safe to show a client.

SmartnodeError
 ├── ConfigError            (500)  bad settings; the CLI prints the message and exits 2
 ├── BadRequest             (400)  malformed input
 │    └── ValidationFailed  (422)  well-formed but invalid values
 ├── Unauthorized           (401)  missing or bad credentials
 ├── Forbidden              (403)
 ├── NotFound               (404)
 ├── Gone                   (410)  existed once, deleted (Tombstone)
 ├── Conflict               (409)  e.g. username taken
 ├── PayloadTooLarge        (413)
 └── TooManyRequests        (429)  slowed down: try again after `retry_after` seconds

Errors are mapped to responses at the edge (api/, web/) and to one line in the CLI.
"""

from __future__ import annotations


class SmartnodeError(Exception):
    """Base of every error we raise on purpose."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(SmartnodeError):
    code = "config_error"


class BadRequest(SmartnodeError):
    status_code = 400
    code = "bad_request"


class ValidationFailed(BadRequest):
    status_code = 422
    code = "validation_failed"


class Unauthorized(SmartnodeError):
    status_code = 401
    code = "unauthorized"


class Forbidden(SmartnodeError):
    status_code = 403
    code = "forbidden"


class NotFound(SmartnodeError):
    status_code = 404
    code = "not_found"


class Gone(SmartnodeError):
    status_code = 410
    code = "gone"


class Conflict(SmartnodeError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(SmartnodeError):
    status_code = 413
    code = "payload_too_large"


class TooManyRequests(SmartnodeError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)
