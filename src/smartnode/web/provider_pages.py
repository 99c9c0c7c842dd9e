"""Sign-in through the cooperative's OpenID provider: GET /signin/provider sends the browser
there (state, nonce and PKCE kept in a sealed HttpOnly cookie), GET /signin/provider/callback
takes the answer once (the cookie is cleared whatever happens) and signs the member in.

Every refusal is a page in the viewer's language that says what to do; nothing is stored.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartnode.accounts.oidc_discovery import OidcProvider
from smartnode.accounts.oidc_errors import OidcRefused
from smartnode.accounts.oidc_flow import begin_sign_in, finish_sign_in
from smartnode.accounts.oidc_link import account_for_identity
from smartnode.accounts.oidc_state import FLOW_LIFETIME, open_flow, seal_flow
from smartnode.accounts.sessions import start_session
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.config import Settings
from smartnode.federation.signer import utc_now
from smartnode.web.account_pages import NO_STORE, render_account_page, safe_next, signed_in
from smartnode.web.viewer import page_language

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)


def provider_button(settings: Settings) -> str | None:
    """The provider's name for the sign-in page's button, when a provider is configured."""
    return settings.oidc_name if settings.oidc_issuer else None


def _flow_cookie(settings: Settings) -> str:
    """`__Host-` on https: bound to this host, so no sibling site can plant a flow."""
    return "__Host-oidc" if settings.secure_cookies else "smartnode-oidc"


def _provider(request: Request, settings: Settings) -> OidcProvider:
    """The process's provider (metadata and keys kept between requests)."""
    state = request.app.state
    provider: OidcProvider | None = getattr(state, "oidc_provider", None)
    if provider is None:
        provider = state.oidc_provider = OidcProvider(settings, state.fetcher)
    return provider


def _refused(request: Request, settings: Settings, refusal: OidcRefused, next_url: str) -> Response:
    log.info("provider sign-in refused: %s", refusal.message)  # what the page does not say
    return render_account_page(
        request, "account/provider_refused.html", status_code=refusal.status_code,
        reason=refusal.reason, email=refusal.email, provider=settings.oidc_name, next=next_url,
    )  # fmt: skip


@router.get("/signin/provider")
async def start(request: Request, settings: SettingsDep, next: str | None = None) -> Response:
    target = safe_next(next)
    language = page_language(request, settings, None)
    try:
        begun = await begin_sign_in(_provider(request, settings), target, utc_now(),
                                    language=language)  # fmt: skip
    except OidcRefused as refusal:
        return _refused(request, settings, refusal, target)
    response = RedirectResponse(begun.url, status_code=303, headers=dict(NO_STORE))
    response.set_cookie(
        _flow_cookie(settings), seal_flow(begun.flow, settings.secret()),
        max_age=int(FLOW_LIFETIME.total_seconds()), httponly=True, samesite="lax",
        secure=settings.secure_cookies, path="/",
    )  # fmt: skip
    return response


@router.get("/signin/provider/callback")
async def callback(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    now = utc_now()
    flow = open_flow(request.cookies.get(_flow_cookie(settings)), settings.secret(), now)
    target = flow.next_url if flow is not None else "/account"
    response: HTMLResponse | RedirectResponse | Response
    try:
        identity = await finish_sign_in(
            _provider(request, settings), flow, dict(request.query_params), now
        )
        async with session.begin():
            linked = await account_for_identity(session, settings, identity, now)
            started = await start_session(
                session, settings, linked.account, now, method="oidc",
                user_agent=request.headers.get("user-agent", ""),
                address=request.client.host if request.client else "",
            )  # fmt: skip
        response = signed_in(request, started, target)
    except OidcRefused as refusal:
        response = _refused(request, settings, refusal, target)
    response.delete_cookie(_flow_cookie(settings), path="/", httponly=True, samesite="lax",
                           secure=settings.secure_cookies)  # fmt: skip
    return response
