"""`smartnode demo`: several seeded national nodes on consecutive 127.0.0.1 ports, one process."""

from __future__ import annotations

import asyncio
import random
import shutil
import signal
import socket
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
import uvloop
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from smartnode.actors.identity import IdentityMismatch
from smartnode.actors.records import node_uris
from smartnode.app import create_app
from smartnode.cli_support import database_session, init_node, now
from smartnode.config import Settings, load_settings
from smartnode.demo_peering import await_federation, peer_everyone
from smartnode.errors import ConfigError
from smartnode.seed import SeedReport, load_country, seed_country
from smartnode.seed.catalog import country_code
from smartnode.storage.db import Database
from smartnode.storage.models import NodeIdentity

HOST = "127.0.0.1"  # the demo never binds anything but loopback
DB_FILE = "smartnode.db"


@dataclass(frozen=True)
class DemoOptions:
    """What `smartnode demo` was asked to do."""

    countries: list[str]
    base_port: int
    data_dir: Path
    fresh: bool = False
    duration: float | None = None
    access_log: bool = False
    peering: bool = True


@dataclass(frozen=True)
class DemoNode:
    """One national node of the demo."""

    country: str
    port: int
    folder: Path
    settings: Settings


def node_settings(country: str, port: int, folder: Path) -> Settings:
    """Settings of a loopback demo node: own data folder, SQLite file, key and name."""
    data = load_country(country)
    base_url = f"http://{HOST}:{port}"
    return load_settings(
        domain=f"{HOST}:{port}",
        base_url=base_url,
        data_dir=folder,
        database_url=f"sqlite+aiosqlite:///{folder / DB_FILE}",
        secret_key=None,
        node_name=data.node_name,
        node_country=data.country,
        node_description=data.node_description,
        allow_private_addresses=True,
    )


def plan_nodes(options: DemoOptions) -> list[DemoNode]:
    """One node per country on consecutive ports from `base_port`."""
    codes = [country_code(c) for c in options.countries]
    if not codes:
        raise ConfigError("--nodes needs at least one country code, e.g. se,be,fr")
    if len(set(codes)) != len(codes):
        raise ConfigError(f"--nodes names a country twice: {','.join(codes)}")
    if options.base_port + len(codes) - 1 > 65535:
        raise ConfigError(f"--base-port {options.base_port} leaves no room for {len(codes)} nodes")
    root = options.data_dir.resolve()
    nodes = []
    for offset, code in enumerate(codes):
        port, folder = options.base_port + offset, root / code.lower()
        nodes.append(DemoNode(code, port, folder, node_settings(code, port, folder)))
    return nodes


def wipe(node: DemoNode) -> None:
    """Delete a node's folder, but only if it looks like one the demo made."""
    if not node.folder.exists():
        return
    if any(node.folder.iterdir()) and not (node.folder / DB_FILE).exists():
        raise ConfigError(f"not deleting {node.folder}: it holds no demo node ({DB_FILE})")
    shutil.rmtree(node.folder)


def check_port_free(port: int) -> None:
    """ConfigError if something already listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            raise ConfigError(
                f"port {port} on {HOST} is in use: stop what runs there or pick another --base-port"
            ) from None


async def prepare_node(node: DemoNode) -> SeedReport:
    """Migrate, create the node actor and seed the node's country (idempotent)."""
    try:
        await init_node(node.settings)
    except IdentityMismatch:
        db = Database(node.settings)
        try:
            async with db.session() as session:
                made_for = await session.scalar(select(NodeIdentity.base_url))
        finally:
            await db.dispose()
        raise ConfigError(
            f"{node.folder} holds a node made for {made_for}, not {node.settings.base_url}: "
            "add --fresh or use the ports it was made with"
        ) from None
    async with database_session(node.settings) as session, session.begin():
        return await seed_country(session, node.settings, node.country, now())


class _SharedLoopServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the demo, which stops every node at once."""

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _server(node: DemoNode, access_log: bool) -> _SharedLoopServer:
    config = uvicorn.Config(
        create_app(node.settings),
        host=HOST,
        port=node.port,
        http="httptools",
        access_log=access_log,
        log_level="warning",
        lifespan="on",
    )
    return _SharedLoopServer(config)


async def _until_started(servers: list[_SharedLoopServer], tasks: list[asyncio.Task[None]]) -> None:
    while not all(server.started for server in servers):
        if any(task.done() for task in tasks):
            raise ConfigError("a demo node could not start; see the log above")
        await asyncio.sleep(0.05)


async def serve_nodes(nodes: list[DemoNode], options: DemoOptions, console: Console) -> None:
    """Serve every node in this event loop until Ctrl-C, SIGTERM or `duration` seconds."""
    servers = [_server(node, options.access_log) for node in nodes]
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    peering: asyncio.Task[None] | None = None
    try:
        await _until_started(servers, tasks)
        console.print(node_table(nodes))
        console.print(try_line(nodes[0]))
        ending = (
            f"after {options.duration:g} seconds" if options.duration is not None else "on Ctrl-C"
        )
        console.print(f"All {len(nodes)} nodes are up; they stop {ending}.")
        if options.peering and len(nodes) > 1:
            peering = asyncio.create_task(federate([node.settings for node in nodes], console))
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait(
            [waiter, *tasks], timeout=options.duration, return_when=asyncio.FIRST_COMPLETED
        )
        waiter.cancel()
    finally:
        if peering is not None:
            peering.cancel()
            await asyncio.gather(peering, return_exceptions=True)
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    console.print("Stopped all nodes.")


async def federate(nodes: list[Settings], console: Console) -> None:
    """Every node adds every other as a peer, in a shuffled order; then wait until done."""
    try:
        adds = await peer_everyone(nodes, random.Random())
        console.print(
            f"Peering: each node added the {len(nodes) - 1} others ({adds} adds, shuffled)."
        )
        await await_federation(nodes, console)
    except Exception as error:  # the nodes keep running; say why peering stopped
        console.print(f"Peering stopped: {type(error).__name__}: {error}")


def node_table(nodes: list[DemoNode]) -> Table:
    """Node, URL and a few handles to try from a fediverse client or curl."""
    table = Table("node", "URL", "try", title="smartnode demo")
    for node in nodes:
        data = load_country(node.country)
        domain = node.settings.domain
        members = [m.username for m in data.members if m.discoverable][:2]
        cross_border = next((p for p in data.projects if p.partners), data.projects[0])
        handles = [f"@{name}@{domain}" for name in members]
        handles.append(f"@{cross_border.slug}@{domain} (project)")
        table.add_row(node.settings.node_name, node.settings.base_url, "\n".join(handles))
    return table


def try_line(node: DemoNode) -> str:
    """A command that shows a member the way a fediverse server sees them."""
    member = next(m.username for m in load_country(node.country).members if m.discoverable)
    accept = "Accept: application/activity+json"
    return f"Try: curl -H '{accept}' {node_uris(node.settings).member(member)}"


async def _prepare_all(nodes: list[DemoNode], console: Console) -> None:
    for node in nodes:
        report = await prepare_node(node)
        counts = [(len(report.members), "member"), (len(report.projects), "project"),
                  (len(report.calls), "open call"), (len(report.events), "event")]  # fmt: skip
        words = [f"{n} {what}{'' if n == 1 else 's'}" for n, what in counts]
        added = f"{', '.join(words[:-1])} and {words[-1]} added"
        console.print(f"{node.settings.node_name}: {node.folder} ready ({added}).")


def run_demo(options: DemoOptions, console: Console) -> None:
    """Prepare every node, then serve them all until stopped."""
    nodes = plan_nodes(options)
    for node in nodes:
        check_port_free(node.port)
        if options.fresh:
            wipe(node)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_prepare_all(nodes, console))
        try:
            runner.run(serve_nodes(nodes, options, console))
        except SystemExit:  # uvicorn exits when a server cannot start
            raise ConfigError("a demo node could not start; see the log above") from None
