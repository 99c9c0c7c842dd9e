"""`smartnode member invite | suspend | reactivate`: the accounts an admin looks after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer

from smartnode.accounts import principal as principals
from smartnode.accounts.accounts import ACTIVE, SUSPENDED, change_state
from smartnode.accounts.mail import send_mail
from smartnode.accounts.onboarding import invitation_url, invite_member
from smartnode.actors.handles import handle_of
from smartnode.cli_support import database_session, now, out, run
from smartnode.config import Settings
from smartnode.web.mail_text import invitation_mail


@dataclass(frozen=True, slots=True)
class InvitationMade:
    url: str
    expires: str
    email: str | None
    mailed: bool


def add_account_commands(member_app: typer.Typer) -> None:
    """Register the account commands under `smartnode member`."""
    member_app.command("invite")(member_invite)
    member_app.command("suspend")(member_suspend)
    member_app.command("reactivate")(member_reactivate)


def member_invite(
    username: Annotated[str, typer.Argument(help="The member's username.")],
    email: Annotated[
        str | None, typer.Option(help="Their email address: the invitation is mailed there.")
    ] = None,
) -> None:
    """Print a one-time link with which a member chooses how to sign in (and mail it)."""

    async def work(settings: Settings) -> InvitationMade:
        async with database_session(settings) as session, session.begin():
            made = await invite_member(
                session, settings, principals.admin(), username, now(), email=email
            )
            url = invitation_url(settings, made.link.token)
            address, language = made.account.email, made.account.ui_language or settings.language
            handle = handle_of(made.actor, settings.domain)
            name = made.actor.name
        mailed = False
        if address:
            mail = invitation_mail(settings, address, language, name=name, handle=handle,
                                   url=url, days=settings.invitation_days)  # fmt: skip
            mailed = await send_mail(settings, mail)
        expires = made.link.expires_at.isoformat(timespec="minutes")
        return InvitationMade(url=url, expires=expires, email=address, mailed=mailed)

    made = run(work)
    out().print(f"Invitation for {username} (works once, until {made.expires}):")
    out().print(made.url, soft_wrap=True, highlight=False)
    if made.mailed:
        out().print(f"Mailed to {made.email}.")
    elif made.email:
        out().print(f"Not mailed to {made.email} (no SMTP server, or it refused): pass it on.")


def member_suspend(username: Annotated[str, typer.Argument(help="The member's username.")]) -> None:
    """Stop a member from signing in: their sessions end and their apps lose access."""
    _set_state(username, SUSPENDED)
    out().print(f"{username} is suspended: signed out everywhere, apps revoked.")


def member_reactivate(
    username: Annotated[str, typer.Argument(help="The member's username.")],
) -> None:
    """Let a suspended member sign in again."""
    state = _set_state(username, ACTIVE)
    if state == ACTIVE:
        out().print(f"{username} can sign in again.")
    else:
        out().print(f"{username} is no longer suspended; they still need an invitation.")


def _set_state(username: str, state: str) -> str:
    async def work(settings: Settings) -> str:
        async with database_session(settings) as session, session.begin():
            account = await change_state(session, principals.admin(), username, state, now())
            return account.state

    return run(work)
