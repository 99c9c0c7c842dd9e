"""What the OAuth pages share: rendering in the viewer's language (or the app's `lang`),
never framed by another site (no clickjacking of a consent), and the redirects out of them."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse

from smartnode.config import UI_LANGUAGES, Settings
from smartnode.web.account_pages import NO_STORE, Frame, render_framed, see_other
from smartnode.web.viewer import Viewer, page_language, viewer_of

#: The signed-in member, read in its own commit (the route then begins its transaction).
signed_in_viewer = viewer_of


def frame_of(
    request: Request, settings: Settings, viewer: Viewer | None, wanted: str | None = None
) -> Frame:
    """`wanted` (an app's `lang`) when we speak it, else the viewer's language. Taken before
    the route's transaction: a rollback expires the viewer's rows."""
    account = viewer.account if viewer else None
    language = wanted if wanted in UI_LANGUAGES else None
    return Frame(language or page_language(request, settings, account), viewer is not None)


#: The OAuth pages render as every account page does.
render_oauth_page = render_framed


def sign_in_first(next_url: str) -> RedirectResponse:
    """To the sign-in page, coming back to `next_url` (a path on this node) afterwards."""
    return see_other(f"/signin?{urlencode({'next': next_url})}")


def redirect_to_app(redirect_uri: str, params: dict[str, str | None]) -> RedirectResponse:
    """Back to an app's REGISTERED redirect URI with `params` added to its query (RFC 6749
    §3.1.2: its own query is kept; registered URIs have no fragment)."""
    added = urlencode({key: value for key, value in params.items() if value is not None})
    joiner = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(
        f"{redirect_uri}{joiner}{added}", status_code=303, headers=dict(NO_STORE)
    )
