"""The node actor's page on a node whose domain carries a port (the local demo): the handle it
shows is the one our WebFinger answers for the node actor, and the page says what it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smartnode.config import Settings, load_settings
from tests.conftest import TEST_SECRET

DEMO = "127.0.0.1:8500"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        domain=DEMO, base_url=f"http://{DEMO}", database_url=database_url, data_dir=tmp_path,
        secret_key=TEST_SECRET, node_name="Smart Sverige", in_process_worker=False,
    )  # fmt: skip


@pytest.mark.parametrize("path", ["/about", "/actor"])
async def test_the_node_page_shows_a_handle_our_webfinger_resolves(client, path) -> None:
    page = await client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200
    shown = re.search(r'<dt>Node account</dt><dd><span class="handle">([^<]+)</span>', page.text)
    assert shown is not None and shown.group(1) == f"@127.0.0.1@{DEMO}"
    assert "the account of the node itself, named after its domain" in " ".join(page.text.split())

    acct = f"acct:{shown.group(1).removeprefix('@')}"
    answer = await client.get("/.well-known/webfinger", params={"resource": acct})
    assert answer.status_code == 200 and answer.json()["subject"] == acct
    [self_link] = [link for link in answer.json()["links"] if link["rel"] == "self"]
    assert self_link["href"] == f"http://{DEMO}/actor"
