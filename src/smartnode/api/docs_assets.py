"""/docs (Swagger UI) and /redoc that work with no network: their scripts, styles and icon come
from an installed package (fastapi-offline, pinned in pyproject.toml) and are served by us
under /docs/assets, so an operator's browser asks no third party for anything.

FastAPI's own pages would load Swagger UI and Redoc from a CDN; these use the same HTML
builders with our asset URLs, no Google fonts and no Swagger validator badge (it would send
the OpenAPI URL to validator.swagger.io).
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

log = logging.getLogger(__name__)

#: The installed package whose `static/` folder holds the Swagger UI and Redoc dist files.
ASSETS_PACKAGE = "fastapi_offline"
ASSETS_URL = "/docs/assets"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")


def assets_folder(package: str = ASSETS_PACKAGE) -> Path | None:
    """The folder of the packaged assets, or None when the package or a file is missing."""
    try:
        folder = Path(str(resources.files(package) / "static"))
    except ModuleNotFoundError:
        return None
    return folder if all((folder / name).is_file() for name in ASSET_FILES) else None


def add_docs_routes(app: FastAPI, openapi_url: str) -> bool:
    """Serve /docs, /redoc and their assets; False (and no routes) when the assets are missing."""
    folder = assets_folder()
    if folder is None:
        log.warning("%s is not installed: /docs and /redoc are off", ASSETS_PACKAGE)
        return False
    app.mount(ASSETS_URL, StaticFiles(directory=folder), name="docs-assets")
    title = app.title

    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} — API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} — API",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    app.add_api_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_api_route(OAUTH2_REDIRECT_URL, swagger_ui_redirect, include_in_schema=False)
    app.add_api_route(REDOC_URL, redoc, include_in_schema=False)
    return True
