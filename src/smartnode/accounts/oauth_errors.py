"""OAuth 2 refusals in the protocol's own words (RFC 6749 §4.1.2.1 and §5.2).

The token and revocation endpoints answer `{"error": <code>, "error_description": <words>}`;
the authorization endpoint sends the same code back to the app's redirect URI once that URI is
known to be registered (`redirect_uri` set), and shows a page otherwise.
"""

from __future__ import annotations

from smartnode.errors import SmartnodeError

INVALID_REQUEST = "invalid_request"
INVALID_CLIENT = "invalid_client"
INVALID_GRANT = "invalid_grant"
UNAUTHORIZED_CLIENT = "unauthorized_client"
UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
UNSUPPORTED_RESPONSE_TYPE = "unsupported_response_type"
INVALID_SCOPE = "invalid_scope"
ACCESS_DENIED = "access_denied"


class OAuthError(SmartnodeError):
    """A refusal with its RFC 6749 error code; 401 for a client that failed to authenticate."""

    status_code = 400

    def __init__(self, error: str, description: str, *, redirect_uri: str | None = None) -> None:
        super().__init__(description)
        self.error = error
        self.code = error
        self.status_code = 401 if error == INVALID_CLIENT else 400
        #: A registered redirect URI the refusal may be sent back to (authorization endpoint).
        self.redirect_uri = redirect_uri

    def to_json(self) -> dict[str, str]:
        """The token endpoint's error body (RFC 6749 §5.2)."""
        return {"error": self.error, "error_description": self.message}
