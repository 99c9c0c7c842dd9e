"""create_app(settings): the FastAPI factory and its lifespan (database, node actor, caches)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from smartnode import __version__
from smartnode.actors.blocks import BlockList
from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.actors.peers import sync_config_peers
from smartnode.actors.records import node_uris
from smartnode.api import (
    activitypub,
    agreements,
    calendar,
    feeds,
    inbox,
    media_files,
    objects,
    ops,
    wellknown,
)
from smartnode.api import mastodon as mastodon_api
from smartnode.api.cache import DocumentCache
from smartnode.api.docs_assets import add_docs_routes
from smartnode.api.errors import add_error_handlers
from smartnode.api.limits import MAX_REQUEST_BODY, BodyLimit
from smartnode.api.mastodon import media as mastodon_media
from smartnode.api.mastodon.answer_cache import answer_cache
from smartnode.api.mastodon.answer_cache import install_listeners as install_answer_listeners
from smartnode.api.oauth import router as oauth_router
from smartnode.api.v1 import router as v1_router
from smartnode.config import Settings
from smartnode.federation.fetch import Fetcher
from smartnode.federation.signer import utc_now
from smartnode.inbox.keys import KeyStore
from smartnode.inbox.receive import InboxReceiver
from smartnode.inbox.writer import InboxWriter
from smartnode.matching.search_vectors import shared_semantic
from smartnode.ops.answered import AnsweredRequests
from smartnode.ops.cache_bus import install_cache_bus
from smartnode.ops.heap import freeze_startup_heap
from smartnode.ops.metrics import NodeMetrics
from smartnode.ops.request_log import RequestLines
from smartnode.ops.shared_limits import inbox_limiter
from smartnode.ops.telemetry import NO_OPENTELEMETRY
from smartnode.storage.data_version import DataVersion
from smartnode.storage.db import Database
from smartnode.storage.revisions import code_heads
from smartnode.storage.written import install_listeners as install_written_listeners
from smartnode.web import (
    account_home,
    board,
    board_routes,
    factor_pages,
    gathering_routes,
    language_pages,
    pages,
    profile_pages,
    profile_routes,
    project_routes,
    provider_pages,
    settings_routes,
    signin_pages,
)
from smartnode.web import search as search_page
from smartnode.web.page_cache import ClearedByWrites
from smartnode.web.view_cache import ViewCache
from smartnode.web.viewer import SignedInViewer
from smartnode.worker import make_worker

OPENAPI_URL = "/api/smart/v1/openapi.json"


def create_app(
    settings: Settings,
    *,
    outbound_transport: httpx.AsyncBaseTransport | None = None,
    freeze_heap: bool = False,
) -> FastAPI:
    """The node's ASGI app. The database must be migrated (`smartnode init`) beforehand.

    `outbound_transport` replaces the guarded network transport (tests fake remote servers).
    `freeze_heap`: the app is its process's only one (`smartnode serve`), whose start-up
    objects are set aside from the cyclic collector once it has started (ops/heap.py).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings)
        app.state.db = db
        bus = install_cache_bus(app, settings)  # PostgreSQL: caches emptied across processes
        app.state.cache_bus = bus
        async with db.session() as session, session.begin():
            node = await ensure_node_actor(session, settings, utc_now())
        fetcher = Fetcher(settings, transport=outbound_transport)
        signer = node_signer(node, settings)
        wake = asyncio.Event()
        writer = InboxWriter(db, on_stored=wake)
        writer.start()
        app.state.fetcher = fetcher
        app.state.node_signer = signer
        app.state.worker_wake = wake
        app.state.inbox = InboxReceiver(
            base_url=settings.base_url,
            db=db,
            keys=KeyStore(db, fetcher, signer),
            writer=writer,
            blocks=BlockList(db),
            limiter=inbox_limiter(settings, db),  # shared by every process on PostgreSQL
            clock=utc_now,
        )
        async with db.session() as session, session.begin():
            await sync_config_peers(session, settings.trusted_peers, utc_now())
        shared_semantic(settings.semantic_search)  # load the model now (None: lexical only)
        stop = asyncio.Event()
        running = None
        if bus is not None:
            await bus.start()
        if settings.in_process_worker:
            on_delivery = metrics.delivery_attempted if metrics is not None else None
            worker = make_worker(settings, db, fetcher, signer, on_delivery=on_delivery)
            running = asyncio.create_task(worker.run_forever(stop, wake), name="worker")
        if freeze_heap:
            freeze_startup_heap()
        try:
            yield
        finally:
            stop.set()
            if running is not None:
                await running
                await worker.aclose()
            await writer.stop()
            await fetcher.aclose()
            if bus is not None:
                await bus.stop()
            app.state.views.close()
            await db.dispose()

    app = FastAPI(
        title=f"smartnode — {settings.node_name}",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc come from add_docs_routes: packaged assets, no CDN
        redoc_url=None,
        openapi_url=OPENAPI_URL,
        telemetry=NO_OPENTELEMETRY,
    )
    metrics = NodeMetrics() if settings.metrics_bearer() else None
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.schema_heads = code_heads(settings.database_url)
    app.state.uris = node_uris(settings)
    app.state.documents = DocumentCache(ttl_seconds=settings.document_cache_seconds)
    answer_cache(app, settings.document_cache_seconds)  # Mastodon apps' repeated reads
    install_answer_listeners()  # a write in this process forgets them
    app.state.views = ViewCache(  # what the board and call pages show, as read
        settings.view_cache_seconds, DataVersion.of(settings.database_url)
    )
    install_written_listeners()  # the tables each commit wrote: the views forget them
    ops.add_hot_routes(app)  # /healthz, /readyz, /metrics
    wellknown.add_hot_routes(app)  # plain routes ahead of the routers: the cheapest match
    feeds.add_hot_routes(app)  # /feeds/{slug}.rss and .atom, ahead of the /feeds/{slug} actor
    activitypub.add_hot_routes(app)
    inbox.add_hot_routes(app)
    objects.add_hot_routes(app)  # /notes, /events and /calls/{token}: AS2 or their pages
    board.add_hot_routes(app)  # /board
    media_files.add_routes(app)  # /media/{file}: stored pictures
    app.include_router(wellknown.router)
    app.include_router(activitypub.router)
    app.include_router(objects.router)
    app.include_router(agreements.router)  # /agreements/{token}, to its parties only
    app.include_router(calendar.router)  # {member or project}/events.ics
    app.include_router(oauth_router)  # /api/v1/apps, /oauth/*, the consent and apps pages
    app.include_router(v1_router.router, prefix="/api/smart/v1")
    mastodon_api.include(app)  # /api/v1 and /api/v2 as Mastodon apps expect them
    add_docs_routes(app, OPENAPI_URL)
    app.include_router(pages.router)
    app.include_router(search_page.router)
    board_routes.include(app)  # applying, the applications queue, remote interaction
    profile_routes.include(app)  # a member's own profile
    settings_routes.include(app)  # a member's notifications and API tokens
    project_routes.include(app)  # projects, their teams and calls
    gathering_routes.include(app)  # events and posts
    app.include_router(signin_pages.router)  # /signin, /signout, /invitation, /reset
    app.include_router(account_home.router)  # /account, its language, password and sessions
    app.include_router(provider_pages.router)  # /signin/provider: the cooperative's OpenID provider
    app.include_router(factor_pages.router)  # second factor (TOTP, recovery codes), passkeys
    app.include_router(language_pages.router)  # /language: the switcher on every page
    add_error_handlers(app)
    app.add_middleware(ClearedByWrites)  # a write here empties the visitors' page cache
    app.add_middleware(SignedInViewer)  # pages in a signed-in member's language
    app.add_middleware(inbox.InboxFirst)  # deliveries to the shared inbox: past the page layers
    uploads = {path: settings.media_max_bytes + MAX_REQUEST_BODY
               for path in (profile_pages.PATH, *mastodon_media.UPLOAD_PATHS)}  # fmt: skip
    # every request body ≤ 1 MiB, forms with a picture that much more; refused before parsed
    app.add_middleware(BodyLimit, larger=uploads)
    if metrics is not None or settings.request_log:  # outermost: refusals counted and logged
        lines = RequestLines() if settings.request_log else None
        app.add_middleware(AnsweredRequests, metrics=metrics, lines=lines)
    return app


def serving_app(settings: Settings) -> FastAPI:
    """The app of a process that serves it alone (`smartnode serve`, each of its `--workers`):
    its start-up objects are set aside from the cyclic collector once it has started."""
    return create_app(settings, freeze_heap=True)


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory smartnode.app:app_from_env` (settings from SMARTNODE_*)."""
    from smartnode.config import load_settings

    return serving_app(load_settings())
