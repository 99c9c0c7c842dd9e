"""A member's personal API tokens (/account/tokens): listed with what each may do, made with
a label and the scopes the member ticks (the secret shown once), revoked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from smartnode.accounts import personal_tokens as cases
from smartnode.accounts.principal import UMBRELLAS
from smartnode.accounts.tokens import MAX_LABEL
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.errors import ValidationFailed
from smartnode.web.account_pages import render_account_page, see_other
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_
from smartnode.web.oauth_scopes import SCOPE_WORDS, scope_views
from smartnode.web.viewer import Viewer, viewer_of

router = APIRouter(include_in_schema=False)
PATH = "/account/tokens"
#: The choices in the order the form shows them: the broad ones first, then the precise ones.
MAIN = [name for name in SCOPE_WORDS if name in UMBRELLAS and name in cases.PERSONAL_SCOPES]
PRECISE = [name for name in SCOPE_WORDS if name not in UMBRELLAS and name in cases.PERSONAL_SCOPES]
LABEL_ERROR = N_("Give the token a name of 1 to 100 characters.")
SCOPES_ERROR = N_("Tick at least one thing the token may do.")


def _to_signin() -> Response:
    return see_other(f"/signin?{urlencode({'next': PATH})}")


async def _page(
    request: Request, session: SessionDep, viewer: Viewer, *, status_code: int = 200,
    **context: Any,
) -> Response:  # fmt: skip
    """The page with the member's tokens (read in its own transaction) and the form."""
    async with session.begin():
        tokens = await cases.my_tokens(session, viewer.principal)
    rows = [
        {"id": t.id, "label": t.label, "scopes": scope_views(t.scopes), "all": not t.scopes,
         "created_at": t.created_at, "last_used_at": t.last_used_at}
        for t in tokens
    ]  # fmt: skip
    context.setdefault("chosen", [])
    return render_account_page(
        request, "account/tokens.html", account=viewer.account, status_code=status_code,
        tokens=rows, main=scope_views(MAIN), precise=scope_views(PRECISE), max_label=MAX_LABEL,
        **context,
    )  # fmt: skip


@router.get(PATH)
async def tokens_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The member's tokens and the form to make one."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return _to_signin()
    done = request.query_params.get("done") == "revoked"
    return await _page(request, session, viewer, revoked=done)


@router.post(PATH)
async def make_token(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Make a token; the page shows its secret this once (never stored, never shown again)."""
    form = await request.form()
    check_form(request, settings, form)
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return _to_signin()
    label = str(form.get("label") or "")[: MAX_LABEL * 4]
    chosen = [str(value) for value in form.getlist("scope")][:100]
    errors = _errors(label, chosen)
    if not errors:
        try:
            async with session.begin():
                secret = await cases.create_my_token(
                    session, viewer.principal, label, chosen, datetime.now(UTC)
                )
        except ValidationFailed:
            errors = _errors(label, chosen) or [("scopes", SCOPES_ERROR)]
        else:
            return await _page(request, session, viewer, secret=secret,
                               made=" ".join(label.split()))  # fmt: skip
    return await _page(request, session, viewer, status_code=422, errors=errors,
                       error=dict(errors), label=label, chosen=chosen)  # fmt: skip


def _errors(label: str, chosen: list[str]) -> list[tuple[str, str]]:
    """What is wrong with the form, field by field (the domain has the last word)."""
    errors = []
    if not 1 <= len(" ".join(label.split())) <= MAX_LABEL:
        errors.append(("label", LABEL_ERROR))
    if not chosen or not set(chosen) <= cases.PERSONAL_SCOPES:
        errors.append(("scopes", SCOPES_ERROR))
    return errors


@router.post(PATH + "/{token_id}/revoke")
async def revoke_token(
    request: Request, session: SessionDep, settings: SettingsDep,
    token_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> Response:  # fmt: skip
    """Revoke one of the member's tokens (NotFound for anyone else's)."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return _to_signin()
    async with session.begin():
        await cases.revoke_my_token(session, viewer.principal, token_id)
    return see_other(f"{PATH}?done=revoked")
