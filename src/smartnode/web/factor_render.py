"""What the second-factor and passkey pages share: the page's language taken before any
transaction (a rollback expires the viewer's rows), rendering never cached nor framed, and
the page shown for a form that came from elsewhere or expired."""

from __future__ import annotations

from datetime import UTC, datetime

from babel.dates import format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse

from smartnode.config import Settings
from smartnode.storage.models_accounts import Account
from smartnode.web.account_pages import Frame, render_framed
from smartnode.web.i18n import N_
from smartnode.web.viewer import page_language

FORM_EXPIRED = N_("This form has expired or came from another site. Reload the page and try again.")
SLOW_DOWN = N_("Too many attempts. Wait a few minutes, then try again.")


#: The frame of the second-factor and passkey pages.
Page = Frame
#: Those pages render as every account page does.
render_page = render_framed


def page_of(request: Request, settings: Settings, account: Account | None, full: bool) -> Page:
    """The page frame of a viewer (`full`: signed in with every factor owed)."""
    return Page(page_language(request, settings, account), full)


def form_refused(request: Request, page: Page, back: str) -> HTMLResponse:
    """403: the form's CSRF token or origin was wrong; a link back to reload it."""
    return render_page(
        request, "account/second_factor_message.html", page, status_code=403,
        message=FORM_EXPIRED, back=back,
    )  # fmt: skip


def slowed(response: HTMLResponse, retry_after: int) -> HTMLResponse:
    """A 429 page that says when to try again."""
    response.headers["Retry-After"] = str(retry_after)
    return response


def when(moment: datetime | None, language: str) -> dict[str, str] | None:
    """A moment as the page shows it (in its language, UTC) and as a machine reads it."""
    if moment is None:
        return None
    shown = format_datetime(moment, format="medium", tzinfo=UTC, locale=language)
    return {"shown": f"{shown} UTC", "iso": moment.isoformat()}


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""
