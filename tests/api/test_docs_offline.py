"""/docs and /redoc work with no network: every asset they name is served by the node from an
installed package (not from the repository, not from a CDN), with the right content type."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import smartnode
from smartnode.api.docs_assets import ASSET_FILES, assets_folder

_URL = re.compile(r"""https?://[^\s"'<>)]+""")
_REFERENCED = re.compile(r"""(?:src|href)="([^"]+)"|spec-url="([^"]+)"|url: '([^']+)'""")
_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".json": "application/json"}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_page_names_no_url_outside_our_origin(client, settings, page) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    outside = [u for u in _URL.findall(response.text) if not u.startswith(settings.base_url)]
    assert outside == []
    assert "fonts.googleapis" not in response.text and "cdn." not in response.text


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_every_asset_the_page_names_is_served_with_its_type(client, page) -> None:
    html = (await client.get(page)).text
    referenced = [next(g for g in groups if g) for groups in _REFERENCED.findall(html)]
    assert any(r.endswith(".js") for r in referenced)
    assert "/api/smart/v1/openapi.json" in referenced
    for url in referenced:
        response = await client.get(url)
        assert response.status_code == 200, url
        expected = _TYPES[Path(url).suffix]
        assert expected in response.headers["content-type"], (url, response.headers)
        assert len(response.content) > 0


async def test_swagger_ui_loads_no_validator_badge(client) -> None:
    html = (await client.get("/docs")).text
    assert '"validatorUrl": null' in html
    assert "oauth2RedirectUrl" in html
    assert (await client.get("/docs/oauth2-redirect")).status_code == 200


def test_the_assets_come_from_an_installed_package_not_the_repository() -> None:
    folder = assets_folder()
    assert folder is not None
    repository = Path(smartnode.__file__).resolve().parents[2]
    installed = folder.resolve()
    assert {"site-packages", "dist-packages"} & set(installed.parts)
    for ours in ("src", "tests", "docs"):
        assert repository / ours not in installed.parents
    assert set(ASSET_FILES) <= {p.name for p in folder.iterdir()}


async def test_what_is_served_is_the_packaged_file(client) -> None:
    folder = assets_folder()
    assert folder is not None
    served = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert served.content == (folder / "swagger-ui-bundle.js").read_bytes()


def test_without_the_package_the_assets_are_missing() -> None:
    assert assets_folder("no_such_docs_assets_package") is None
