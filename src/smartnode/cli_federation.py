"""`smartnode` commands for federation: worker, follow/unfollow, domain blocks, trusted peers."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from smartnode.actors.blocks import block_domain, unblock_domain
from smartnode.actors.follow_cases import NotFollowing, follow_as, unfollow_as
from smartnode.actors.handles import handle_of
from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.actors.peers import add_peer, list_peers, remove_peer
from smartnode.actors.records import find_local_actor, node_uris
from smartnode.actors.resolve import FetchingResolver
from smartnode.cli_acting import Acting, acting
from smartnode.cli_support import database_session, err, now, out, run
from smartnode.config import Settings
from smartnode.errors import NotFound
from smartnode.federation.fetch import Fetcher
from smartnode.logs import configure_process_logging
from smartnode.storage.models import Activity, Delivery, DomainBlock, Peer
from smartnode.storage.written import install_listeners as install_written_listeners
from smartnode.worker import run_worker

block_app = typer.Typer(help="Domains this node refuses to talk to.", no_args_is_help=True)
peer_app = typer.Typer(help="Trusted peer nodes of the federation.", no_args_is_help=True)

Local = Annotated[str, typer.Argument(help="Username of the local member or project slug.")]
Target = Annotated[str, typer.Argument(help="@user@host, acct:user@host or an actor URL.")]


@asynccontextmanager
async def _following(settings: Settings) -> AsyncIterator[tuple[Acting, FetchingResolver]]:
    """A transaction in which this command's principal acts, with a resolver for remote
    actors (signed by the node actor)."""
    async with Fetcher(settings) as fetcher, acting(settings) as a:
        node = await ensure_node_actor(a.session, settings, a.now)
        resolver = FetchingResolver(a.session, a.uris, fetcher, now=a.now,
                                    signer=node_signer(node, settings))  # fmt: skip
        yield a, resolver


def follow_command(local: Local, target: Target) -> None:
    """Make a local member or project follow an actor on any server (the member, a
    coordinator of the project, or an admin)."""

    async def work(settings: Settings) -> tuple[bool, str]:
        async with _following(settings) as (a, resolver):
            found = await follow_as(a.session, a.uris, a.principal, local, target, resolver,
                                    a.now)  # fmt: skip
            return found.pending, handle_of(found.target, settings.domain)

    pending, shown = run(work)
    if not pending:
        out().print(f"{local} now follows {shown}.")
    else:
        out().print(f"{local} asked to follow {shown}; it shows once they accept.")


def unfollow_command(local: Local, target: Target) -> None:
    """Stop following an actor (sends Undo to remote servers)."""

    async def work(settings: Settings) -> bool:
        async with _following(settings) as (a, resolver):
            try:
                await unfollow_as(a.session, a.uris, a.principal, local, target, resolver, a.now)
            except NotFollowing:
                return False
            return True

    if run(work):
        out().print(f"{local} no longer follows {target}.")
    else:
        out().print(f"{local} did not follow {target}.")


def worker_command() -> None:
    """Run the worker alone (inbox, fan-out, delivery); start several on PostgreSQL to scale."""

    async def work(settings: Settings) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        configure_process_logging("info", settings.log_format)  # a line per job, failures
        err().print(f"Worker for {settings.base_url} running; Ctrl-C stops it.")
        install_written_listeners()  # PostgreSQL: API processes hear which tables it wrote
        await run_worker(settings, stop)

    run(work)


def deliveries_command(
    local: Local,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 50,
) -> None:
    """The delivery log: which inboxes received (or are still to receive) an actor's activities."""

    async def work(settings: Settings) -> list[tuple[str, str, str, str, str]]:
        async with database_session(settings) as session:
            actor = await find_local_actor(session, local)
            if actor is None:
                raise NotFound(f"no member or project named {local!r} on this node")
            rows = await session.execute(
                select(Activity.activity_type, Delivery.inbox_uri, Delivery.state,
                       Delivery.last_status, Delivery.delivered_at)
                .join(Activity, Activity.id == Delivery.activity_id)
                .where(Activity.actor_id == actor.id)
                .order_by(Delivery.id.desc())
                .limit(limit)
            )  # fmt: skip
            return [
                (kind, inbox, state, str(status or ""), at.isoformat() if at else "")
                for kind, inbox, state, status, at in rows.all()
            ]

    table = Table("activity", "inbox", "state", "status", "delivered at")
    for row in run(work):
        table.add_row(*row)
    out().print(table)


@block_app.command("add")
def block_add(
    domain: Annotated[str, typer.Argument(help="e.g. spam.example (subdomains too).")],
    reason: Annotated[str, typer.Option(help="Why, for the other operators.")] = "",
) -> None:
    """Block a domain: its requests get 403 and nothing is sent or fetched there."""

    async def work(settings: Settings) -> str:
        async with database_session(settings) as session, session.begin():
            return await block_domain(session, domain, reason, now())

    out().print(f"Blocked {run(work)} (running nodes apply it within 30 seconds).")


@block_app.command("remove")
def block_remove(domain: Annotated[str, typer.Argument()]) -> None:
    """Lift a domain block."""

    async def work(settings: Settings) -> bool:
        async with database_session(settings) as session, session.begin():
            return await unblock_domain(session, domain)

    out().print(f"Unblocked {domain}." if run(work) else f"{domain} was not blocked.")


@block_app.command("list")
def block_list() -> None:
    """The blocked domains."""

    async def work(settings: Settings) -> list[tuple[str, str]]:
        async with database_session(settings) as session:
            rows = await session.scalars(select(DomainBlock).order_by(DomainBlock.domain))
            return [(row.domain, row.reason) for row in rows.all()]

    table = Table("domain", "reason")
    for domain, reason in run(work):
        table.add_row(domain, reason)
    out().print(table)


@peer_app.command("add")
def peer_add(base_url: Annotated[str, typer.Argument(help="e.g. https://be.smart.coop")]) -> None:
    """Trust another national node: accept its node actor's Follow (now, if it came already)
    and follow its node actor; run again to send a still unanswered Follow once more."""

    async def work(settings: Settings) -> tuple[str, str, str]:
        async with database_session(settings) as session, session.begin():
            peer = await add_peer(session, base_url, now(), uris=node_uris(settings))
            return peer.actor_uri, peer.ours_state, peer.theirs_state

    actor_uri, ours, theirs = run(work)
    out().print(f"Trusted {actor_uri}.")
    out().print(f"Our follow of it: {ours}; its follow of us: {theirs}.")
    out().print("The worker sends and retries our Follow; `smartnode peer list` shows progress.")


@peer_app.command("remove")
def peer_remove(host: Annotated[str, typer.Argument(help="The peer's host[:port].")]) -> None:
    """Stop trusting a peer node and end the follows between our node actor and its."""

    async def work(settings: Settings) -> bool:
        async with database_session(settings) as session, session.begin():
            return await remove_peer(session, host, node_uris(settings), now())

    out().print(f"{host} is no longer a trusted peer." if run(work) else f"{host} was not one.")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment is not None else ""


def peer_row(peer: Peer) -> tuple[str, str, str, str, str, str, str]:
    """One line of `peer list`: both directions with when each last changed, the last error
    (with its time) and the last back-fill."""
    error = f"{peer.last_error} ({_when(peer.last_error_at)})" if peer.last_error else ""
    return (
        peer.host, peer.ours_state, _when(peer.ours_changed_at), peer.theirs_state,
        _when(peer.theirs_changed_at), error, _when(peer.backfilled_at),
    )  # fmt: skip


@peer_app.command("list")
def peer_list() -> None:
    """The trusted peer nodes: where both follows stand, since when, and the last error."""

    async def work(settings: Settings) -> list[tuple[str, str, str, str, str, str, str]]:
        async with database_session(settings) as session:
            return [peer_row(p) for p in await list_peers(session)]

    table = Table(
        "peer", "we follow it", "since", "it follows us", "since", "last error", "back-filled"
    )
    for row in run(work):
        table.add_row(*row)
    out().print(table)
