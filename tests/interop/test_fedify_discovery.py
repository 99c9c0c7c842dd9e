"""Fedify (an independent ActivityPub implementation) discovers a real `smartnode serve` process:
WebFinger, actor documents, keys and collections, read with Fedify's own client functions."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from tests.servers import check_cli, free_port, node_env, smartnode_server

pytestmark = pytest.mark.interop

MEMBER = "asa"
MEMBER_NAME = "Åsa Lindqvist"
PROJECT = "malmo-opera"
PROJECT_NAME = "Malmö Opera"


@dataclass(frozen=True)
class Discovered:
    """What Fedify saw of a seeded node, and where that node keeps its database."""

    base_url: str
    domain: str
    database: Path
    report: dict[str, Any]

    def result(self, query: str) -> dict[str, Any]:
        return dict(self.report["results"][query])

    def row(self, sql: str, *params: object) -> tuple[Any, ...]:
        """One row from the served node's own SQLite database (read-only)."""
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as conn:
            found = conn.execute(sql, params).fetchone()
        assert found is not None, f"no row for {sql} {params}"
        return tuple(found)


def _seed(data_dir: Path, port: int) -> None:
    """`smartnode init`, a member and a project they coordinate, through the real CLI."""
    env = node_env(data_dir, port)
    data_dir.mkdir(parents=True, exist_ok=True)
    check_cli(["init"], env)
    check_cli(
        ["member", "create", MEMBER, "--name", MEMBER_NAME, "--email", "asa@example.org",
         "--country", "SE", "--skills", "sound design,lighting", "--discoverable"],
        env,
    )  # fmt: skip
    check_cli(["project", "create", PROJECT, "--name", PROJECT_NAME, "--coordinator", MEMBER], env)


def _queries(base: str, domain: str) -> list[str]:
    return [
        f"webfinger=acct:{MEMBER}@{domain}",
        f"webfinger={base}/members/{MEMBER}",
        f"object=acct:{MEMBER}@{domain}",
        f"object=@{PROJECT}@{domain}",
        f"object={base}/actor",
        f"webfinger={base}/",
        f"object=acct:nobody@{domain}",
        f"webfinger=acct:nobody@{domain}",
        f"collection={base}/projects/{PROJECT}/members",
        f"collection={base}/projects/{PROJECT}/followers",
        f"collection={base}/members/{MEMBER}/outbox",
    ]


@pytest.fixture(scope="module")
def discovered(
    tmp_path_factory: pytest.TempPathFactory, fedify: Callable[..., dict[str, Any]]
) -> Iterator[Discovered]:
    data_dir = tmp_path_factory.mktemp("fedify-node")
    port = free_port()
    _seed(data_dir, port)
    with smartnode_server(data_dir, port=port, init=False, ready_path="/actor") as node:
        report = fedify(node.base_url, *_queries(node.base_url, node.domain))
        yield Discovered(node.base_url, node.domain, data_dir / "smartnode.db", report)


def _self_links(jrd: dict[str, Any]) -> list[tuple[str, str]]:
    return [(link.get("type", ""), link["href"]) for link in jrd["links"] if link["rel"] == "self"]


def _spki_of_pem(pem: str) -> str:
    der = load_pem_public_key(pem.encode()).public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def test_fedify_is_the_pinned_release_on_node_20_or_later(discovered: Discovered) -> None:
    assert discovered.report["fedify"] == "1.5.9"
    assert int(discovered.report["node"].lstrip("v").split(".")[0]) >= 20


def test_webfinger_of_member_acct_links_self_to_the_actor_id(discovered: Discovered) -> None:
    (member_uri,) = discovered.row(
        "SELECT uri FROM actors WHERE kind = 'member' AND username = ?", MEMBER
    )
    for query in (f"webfinger=acct:{MEMBER}@{discovered.domain}", f"webfinger={member_uri}"):
        result = discovered.result(query)
        assert result["found"], query
        jrd = result["jrd"]
        assert jrd["subject"] == f"acct:{MEMBER}@{discovered.domain}"
        assert _self_links(jrd) == [("application/activity+json", member_uri)]


def test_member_acct_resolves_to_a_person_with_inbox_and_shared_inbox(
    discovered: Discovered,
) -> None:
    person = discovered.result(f"object=acct:{MEMBER}@{discovered.domain}")
    base = discovered.base_url
    member_uri = f"{base}/members/{MEMBER}"
    assert person["found"] and person["type"] == "Person" and person["isPerson"]
    assert not person["isGroup"] and not person["isApplication"]
    assert person["id"] == member_uri
    assert person["preferredUsername"] == MEMBER
    assert person["name"] == MEMBER_NAME
    assert person["inbox"] == f"{member_uri}/inbox"
    assert person["sharedInbox"] == f"{base}/inbox"
    assert person["outbox"] == f"{member_uri}/outbox"
    assert person["followers"] == f"{member_uri}/followers"
    assert person["discoverable"] is True
    (uri,) = discovered.row("SELECT uri FROM actors WHERE kind = 'member' AND username = ?", MEMBER)
    assert uri == person["id"]


def test_fedify_imports_the_members_rsa_2048_key_as_stored(discovered: Discovered) -> None:
    key = discovered.result(f"object=acct:{MEMBER}@{discovered.domain}")["publicKey"]
    member_uri = f"{discovered.base_url}/members/{MEMBER}"
    assert key["id"] == f"{member_uri}#main-key"
    assert key["owner"] == member_uri
    assert key["imported"] is True
    assert (key["algorithm"], key["modulusLength"], key["hash"]) == (
        "RSASSA-PKCS1-v1_5",
        2048,
        "SHA-256",
    )
    (pem,) = discovered.row("SELECT public_key_pem FROM actors WHERE uri = ?", member_uri)
    assert key["spki"] == _spki_of_pem(pem)


def test_project_handle_resolves_to_a_group_whose_team_lists_the_coordinator(
    discovered: Discovered,
) -> None:
    group = discovered.result(f"object=@{PROJECT}@{discovered.domain}")
    project_uri = f"{discovered.base_url}/projects/{PROJECT}"
    assert group["found"] and group["type"] == "Group" and group["isGroup"]
    assert group["id"] == project_uri
    assert (group["preferredUsername"], group["name"]) == (PROJECT, PROJECT_NAME)
    assert group["inbox"] == f"{project_uri}/inbox"
    assert group["sharedInbox"] == f"{discovered.base_url}/inbox"
    assert group["publicKey"]["imported"] is True
    team = discovered.result(f"collection={project_uri}/members")
    assert team["found"] and team["isCollection"], team
    assert team["totalItems"] == 1
    assert team["items"] == [f"{discovered.base_url}/members/{MEMBER}"]


def test_node_actor_resolves_to_an_application_with_a_key(discovered: Discovered) -> None:
    node = discovered.result(f"object={discovered.base_url}/actor")
    assert node["found"] and node["type"] == "Application" and node["isApplication"]
    assert node["id"] == f"{discovered.base_url}/actor"
    assert node["inbox"] and node["sharedInbox"] == f"{discovered.base_url}/inbox"
    assert node["publicKey"]["imported"] is True
    assert node["publicKey"]["owner"] == node["id"]
    (pem,) = discovered.row("SELECT public_key_pem FROM actors WHERE kind = 'node'")
    assert node["publicKey"]["spki"] == _spki_of_pem(pem)


def test_webfinger_of_the_node_origin_links_the_node_actor(discovered: Discovered) -> None:
    """FEP-d556: the server's own origin as `resource` finds the node actor."""
    result = discovered.result(f"webfinger={discovered.base_url}/")
    assert result["found"], result
    node_uri = f"{discovered.base_url}/actor"
    assert _self_links(result["jrd"]) == [("application/activity+json", node_uri)]


def test_unknown_acct_is_null_for_webfinger_and_lookup(discovered: Discovered) -> None:
    domain = discovered.domain
    assert discovered.result(f"webfinger=acct:nobody@{domain}")["found"] is False
    unknown = discovered.result(f"object=acct:nobody@{domain}")
    assert unknown["found"] is False and "error" not in unknown
    answered = discovered.report["webfingerOverHttp"]
    assert {"resource": f"acct:nobody@{domain}", "status": 404} in answered
    assert {"resource": f"acct:{MEMBER}@{domain}", "status": 200} in answered


def test_fedify_walks_empty_followers_and_outbox_collections(discovered: Discovered) -> None:
    base = discovered.base_url
    for uri in (f"{base}/projects/{PROJECT}/followers", f"{base}/members/{MEMBER}/outbox"):
        walked = discovered.result(f"collection={uri}")
        assert walked["found"] and walked["isCollection"], walked
        assert walked["type"] == "OrderedCollection"
        assert (walked["id"], walked["totalItems"], walked["items"]) == (uri, 0, [])
