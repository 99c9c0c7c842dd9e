"""The `smartnode` command: exit codes, what it prints, and the rows it leaves in the database."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from typer.testing import Result

from smartnode.accounts.secrets import digest
from smartnode.storage.models import Actor
from smartnode.storage.models_accounts import Account, AccountLink, ApiToken
from smartnode.storage.models_profiles import MemberProfile, Project, ProjectMember
from tests.conftest import TEST_BASE_URL, TEST_DOMAIN, Invoke, query
from tests.servers import node_env, run_cli, smartnode_server


def count(database_url: str, *where: Any, table: Any = Actor) -> int:
    return int(query(database_url, select(func.count()).select_from(table).where(*where))[0][0])


def assert_one_clear_line(result: Result, *expected: str) -> None:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    for text in expected:
        assert text in lines[0], result.output


# ---------------------------------------------------------------- init


def test_init_creates_node_actor_once_and_says_so(smartnode: Invoke, database_url: str) -> None:
    first = smartnode("init")
    assert first.exit_code == 0, first.output
    assert f"Created the node actor {TEST_BASE_URL}/actor" in first.output
    again = smartnode("init")
    assert again.exit_code == 0, again.output
    assert "is up to date" in again.output and "exists already" in again.output
    assert count(database_url, Actor.kind == "node") == 1


# ---------------------------------------------------------------- members


def test_member_create_stores_profile_and_prints_handle(
    smartnode: Invoke, database_url: str
) -> None:
    result = smartnode(
        "member", "create", "asa", "--name", "Åsa Lindqvist", "--city", "Malmö",
        "--languages", "sv,en", "--skills", "sound design, mixing", "--bio", "Ljud & bild.",
        "--email", "asa@example.org", "--discoverable",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"@asa@{TEST_DOMAIN}" in result.output
    [(actor, profile)] = query(
        database_url,
        select(Actor, MemberProfile).join(MemberProfile, MemberProfile.actor_id == Actor.id),
    )
    assert actor.uri == f"{TEST_BASE_URL}/members/asa" and actor.name == "Åsa Lindqvist"
    assert actor.language == "sv" and actor.summary == "<p>Ljud &amp; bild.</p>"
    assert actor.discoverable is True and actor.indexable is True
    assert profile.country == "SE" and profile.city == "Malmö"  # country: the node's
    assert profile.languages == ["sv", "en"] and profile.skills == ["sound design", "mixing"]
    assert profile.email == "asa@example.org"


def test_member_is_not_discoverable_unless_asked(smartnode: Invoke, database_url: str) -> None:
    assert smartnode("member", "create", "nils", "--name", "Nils", "--country", "fi").exit_code == 0
    [(discoverable, indexable, country)] = query(
        database_url,
        select(Actor.discoverable, Actor.indexable, MemberProfile.country).join(
            MemberProfile, MemberProfile.actor_id == Actor.id
        ),
    )
    assert (discoverable, indexable, country) == (False, False, "FI")


def test_member_list_shows_table_and_json(smartnode: Invoke) -> None:
    smartnode("member", "create", "astrid", "--name", "Astrid Holm", "--discoverable")
    smartnode("member", "create", "soren", "--name", "Søren Østergaard", "--country", "DK")
    table = smartnode("member", "list")
    assert table.exit_code == 0, table.output
    assert f"@astrid@{TEST_DOMAIN}" in table.output and "Søren Østergaard" in table.output
    listed = orjson.loads(smartnode("member", "list", "--json").stdout)
    assert [(m["username"], m["country"], m["discoverable"]) for m in listed] == [
        ("astrid", "SE", True),
        ("soren", "DK", False),
    ]
    assert listed[0]["handle"] == f"@astrid@{TEST_DOMAIN}"
    assert listed[0]["uri"] == f"{TEST_BASE_URL}/members/astrid"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["Bad Name!", "--name", "X"], "may use only a-z"),
        (["admin", "--name", "X"], "'admin' is reserved"),
        (["anna", "--name", "Anna", "--country", "Sweden"], "country: 'SWEDEN' is not a two"),
        (["anna", "--name", "Anna", "--skills", "x" * 61], "skills: each skill or sector"),
        (["anna", "--name", "Anna", "--email", "not-an-address"], "email: 'not-an-address'"),
        (["anna", "--name", "Anna", "--languages", "sv,Swedish"], "languages: 'Swedish' is"),
        (["anna", "--name", " "], "name: String should have at least 1 character"),
    ],
)
def test_member_create_refuses_bad_input_with_one_line(
    smartnode: Invoke, database_url: str, args: list[str], expected: str
) -> None:
    result = smartnode("member", "create", *args)
    assert_one_clear_line(result, expected)
    assert result.exit_code == 1
    assert count(database_url, Actor.kind == "member") == 0


def test_member_create_refuses_a_taken_name(smartnode: Invoke, database_url: str) -> None:
    assert smartnode("member", "create", "anna", "--name", "Anna").exit_code == 0
    result = smartnode("member", "create", "Anna", "--name", "Another Anna")
    assert_one_clear_line(result, "'anna' is already taken")
    assert [name for (name,) in query(database_url, select(Actor.name))] == ["Anna"]


# ---------------------------------------------------------------- projects


def test_project_create_makes_group_with_coordinator(smartnode: Invoke, database_url: str) -> None:
    smartnode("member", "create", "astrid", "--name", "Astrid Holm")
    result = smartnode(
        "project", "create", "lyssnande-stader", "--name", "Lyssnande städer",
        "--coordinator", "astrid", "--city", "Malmö", "--sectors", "music, media",
        "--summary", "Ljudvandringar.", "--language", "sv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"@lyssnande-stader@{TEST_DOMAIN}" in result.output
    [(actor, project)] = query(
        database_url, select(Actor, Project).join(Project, Project.actor_id == Actor.id)
    )
    assert actor.ap_type == "Group" and actor.summary_map == {"sv": "<p>Ljudvandringar.</p>"}
    assert (project.country, project.city, project.sectors) == ("SE", "Malmö", ["music", "media"])
    [(role, username)] = query(
        database_url,
        select(ProjectMember.role, Actor.username).join(Actor, Actor.id == ProjectMember.member_id),
    )
    assert (role, username) == ("coordinator", "astrid")


def test_project_slug_is_made_from_the_name_when_omitted(smartnode: Invoke) -> None:
    smartnode("member", "create", "astrid", "--name", "Astrid Holm")
    result = smartnode("project", "create", "--name", "Malmö Opera 2027", "--coordinator", "astrid")
    assert result.exit_code == 0, result.output
    listed = orjson.loads(smartnode("project", "list", "--json").stdout)
    assert [(p["slug"], p["name"]) for p in listed] == [("malmo-opera-2027", "Malmö Opera 2027")]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["ok-slug", "--name", "P", "--coordinator", "ghost"], "no member named 'ghost'"),
        (["Not A Slug", "--name", "P", "--coordinator", "astrid"], "slug 'Not A Slug' may use"),
        (["astrid", "--name", "P", "--coordinator", "astrid"], "'astrid' is already taken"),
        (["ok-slug", "--name", "P", "--coordinator", "astrid", "--website", "nope"], "website:"),
    ],
)
def test_project_create_refuses_bad_input_with_one_line(
    smartnode: Invoke, database_url: str, args: list[str], expected: str
) -> None:
    smartnode("member", "create", "astrid", "--name", "Astrid Holm")
    assert_one_clear_line(smartnode("project", "create", *args), expected)
    assert count(database_url, table=Project) == 0
    assert count(database_url, table=ProjectMember) == 0


# ---------------------------------------------------------------- seed


def test_seed_adds_the_node_countrys_members_projects_and_teams(
    smartnode: Invoke, database_url: str
) -> None:
    result = smartnode("seed")
    assert result.exit_code == 0, result.output
    assert "Seeded SE: 9 members, 3 projects." in result.output
    countries = query(database_url, select(MemberProfile.country).distinct())
    assert countries == [("SE",)]
    assert count(database_url, Actor.kind == "project") == 3
    assert count(database_url, ProjectMember.role == "coordinator", table=ProjectMember) == 3
    assert count(database_url, ProjectMember.role != "coordinator", table=ProjectMember) == 6


def test_seed_ends_with_a_link_to_sign_in_as_its_first_member(
    smartnode: Invoke, database_url: str
) -> None:
    result = smartnode("seed")
    found = re.search(r"To sign in as (\S+), open (https?://\S+/invitation/(\S+)) ", result.output)
    assert found is not None, result.output
    username, token = found[1], found[3]
    [(state,)] = query(
        database_url,
        select(Account.state)
        .join(Actor, Actor.id == Account.actor_id)
        .where(Actor.username == username),
    )
    assert state == "invited"
    links = select(AccountLink.purpose).where(AccountLink.token_hash == digest(token))
    assert query(database_url, links) == [("invite",)]
    assert "smartnode member invite" in result.output


def test_seed_is_idempotent_and_if_empty_leaves_a_used_node_alone(
    smartnode: Invoke, database_url: str
) -> None:
    smartnode("member", "create", "astrid", "--name", "Astrid Operator")
    assert "nothing seeded" in smartnode("seed", "--if-empty").output
    assert count(database_url, Actor.kind == "member") == 1
    first = smartnode("seed", "--country", "se")
    assert "8 members, 3 projects" in first.output and "astrid" in first.output
    second = smartnode("seed", "--country", "SE")
    assert second.exit_code == 0 and "0 members, 0 projects" in second.output
    assert count(database_url, Actor.kind == "member") == 9
    assert query(database_url, select(Actor.name).where(Actor.username == "astrid")) == [
        ("Astrid Operator",)
    ]


def test_seed_refuses_a_country_without_data(smartnode: Invoke, database_url: str) -> None:
    assert_one_clear_line(smartnode("seed", "--country", "xx"), "no seed data for country 'xx'")
    assert count(database_url) == 0


# ---------------------------------------------------------------- tokens


def test_token_create_prints_token_once_and_stores_only_its_hash(
    smartnode: Invoke, database_url: str
) -> None:
    result = smartnode("token", "create", "ops laptop")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert len(token) >= 40 and "\n" not in token
    [(label, token_hash)] = query(database_url, select(ApiToken.label, ApiToken.token_hash))
    assert label == "ops laptop"
    assert token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(query(database_url, select(ApiToken)))


# ---------------------------------------------------------------- errors from the environment


def test_unreachable_database_is_one_line_naming_it_without_password(smartnode: Invoke) -> None:
    url = "postgresql+asyncpg://nobody:s3cret@127.0.0.1:1/x"
    result = smartnode("member", "create", "anna", "--name", "Anna", SMARTNODE_DATABASE_URL=url)
    assert_one_clear_line(result, "postgresql+asyncpg://nobody:***@127.0.0.1:1/x")
    assert result.exit_code == 1 and "s3cret" not in result.output


def test_bad_settings_exit_2(smartnode: Invoke) -> None:
    result = smartnode("member", "list", SMARTNODE_DATABASE_URL="mysql://db/x")
    assert_one_clear_line(result, "must be a sqlite or postgresql URL")
    assert result.exit_code == 2
    result = smartnode("init", SMARTNODE_DOMAIN="not a domain/")
    assert_one_clear_line(result, "invalid setting domain")
    assert result.exit_code == 2


def test_commands_on_a_missing_database_say_to_run_init(smartnode: Invoke, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'none' / 'smartnode.db'}"
    for args in (["serve"], ["member", "list"], ["seed"], ["token", "create", "x"]):
        assert_one_clear_line(smartnode(*args, SMARTNODE_DATABASE_URL=url), "smartnode init")
    assert not (tmp_path / "none" / "smartnode.db").exists()


def test_serve_refuses_an_unmigrated_database(smartnode: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    result = smartnode("serve", SMARTNODE_DATABASE_URL=f"sqlite+aiosqlite:///{path}")
    assert_one_clear_line(result, "not initialised or not up to date: run `smartnode init`")


# ---------------------------------------------------------------- real processes


def test_init_then_serve_answers_on_loopback(tmp_path: Path) -> None:
    with smartnode_server(tmp_path / "node", seed="SE") as node:
        assert httpx.get(node.url("/api/smart/v1/openapi.json")).status_code == 200
        finger = httpx.get(
            node.url("/.well-known/webfinger"), params={"resource": f"acct:astrid@{node.domain}"}
        )
        assert finger.status_code == 200
        assert finger.json()["subject"] == f"acct:astrid@{node.domain}"
        listed = orjson.loads(node.cli("member", "list", "--json").stdout)
        assert len(listed) == 9 and {m["country"] for m in listed} == {"SE"}
    assert node.running.process.returncode == 0, node.log()
    assert "Traceback" not in node.log()


def test_serve_process_on_a_fresh_folder_exits_with_one_line(tmp_path: Path) -> None:
    done = run_cli(["serve", "--port", "1"], node_env(tmp_path, 1))
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "run `smartnode init`" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
