"""/api/smart/v1/members/{username}/invitation, /suspend, /reactivate: an admin looks after the
accounts of members (the same use cases as `smartnode member invite | suspend | reactivate`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path
from pydantic import BaseModel, ConfigDict, Field

from smartnode.accounts.accounts import ACTIVE, SUSPENDED, change_state
from smartnode.accounts.mail import send_mail
from smartnode.accounts.onboarding import invitation_url, invite_member
from smartnode.actors.handles import handle_of
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.api.v1.auth import ChallengeRoute, PrincipalDep
from smartnode.api.v1.schemas import errors
from smartnode.federation.signer import utc_now
from smartnode.web.mail_text import invitation_mail

router = APIRouter(prefix="/members", tags=["accounts"], route_class=ChallengeRoute)
Username = Annotated[str, Path(max_length=64, description="The member's username.")]


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str | None = Field(
        default=None, max_length=320, description="Set the member's address and mail it there."
    )


class InvitationOut(BaseModel):
    url: str = Field(description="The one-time link; give it to the member if it was not mailed.")
    expires_at: datetime
    email: str | None = Field(description="Where it is being mailed, if anywhere.")


class AccountOut(BaseModel):
    username: str
    state: str = Field(description="invited | active | suspended")


@router.post(
    "/{username}/invitation", status_code=201, response_model=InvitationOut,
    responses=errors(401, 403, 404, 409),
)  # fmt: skip
async def invite(
    username: Username,
    body: InvitationIn,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> InvitationOut:
    """Invite a member to choose how to sign in: a new one-time link (earlier ones stop
    working), mailed to their address when they have one."""
    async with session.begin():
        made = await invite_member(session, settings, principal, username, utc_now(),
                                   email=body.email)  # fmt: skip
        url = invitation_url(settings, made.link.token)
        address = made.account.email
        language = made.account.ui_language or settings.language
        mail_context = {"name": made.actor.name, "handle": handle_of(made.actor, settings.domain)}
    if address:
        mail = invitation_mail(settings, address, language, url=url,
                               days=settings.invitation_days, **mail_context)  # fmt: skip
        background.add_task(send_mail, settings, mail)
    return InvitationOut(url=url, expires_at=made.link.expires_at, email=address)


async def _change(
    session: SessionDep, principal: PrincipalDep, username: str, state: str
) -> AccountOut:
    async with session.begin():
        account = await change_state(session, principal, username, state, utc_now())
        return AccountOut(username=username.strip().lstrip("@").lower(), state=account.state)


@router.post("/{username}/suspend", response_model=AccountOut, responses=errors(401, 403, 404))
async def suspend(username: Username, principal: PrincipalDep, session: SessionDep) -> AccountOut:
    """Stop a member from signing in: their sessions end and their apps lose access."""
    return await _change(session, principal, username, SUSPENDED)


@router.post("/{username}/reactivate", response_model=AccountOut, responses=errors(401, 403, 404))
async def reactivate(
    username: Username, principal: PrincipalDep, session: SessionDep
) -> AccountOut:
    """Let a suspended member sign in again (`invited` if they never chose how)."""
    return await _change(session, principal, username, ACTIVE)
