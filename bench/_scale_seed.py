"""The national node of bench/scale.py: tens of thousands of members and a thousand remote hosts,
written in bulk (Core INSERTs of 5,000 rows, in the node's own tables) in well under a minute.

Members are full local members (Person actors with a profile and a key pair, so their documents
render and they could sign), all sharing one RSA key pair generated once: 90,000 keys would take
an hour to make. They have no matching data (skills, languages, periods): matching at 90,000
members is bench/matching.py's. The hosts are `hosts` rows with remote followers on them, each
host's followers sharing its inbox, as Mastodon's do.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import insert

from bench.fanout import World, add_followers
from smartnode.actors.records import AP_TYPES, node_uris
from smartnode.config import Settings
from smartnode.federation.keys import encrypt_private_key, generate_rsa_keypair
from smartnode.federation.uris import ActorKind, NodeUris
from smartnode.storage.db import Database
from smartnode.storage.models import Actor, Host, MemberProfile, table

CHUNK = 5000
COUNTRIES = ("BE", "FR", "NL", "IT", "ES", "SE", "DE", "AT")
CITIES = ("Brussels", "Lyon", "Utrecht", "Milano", "Madrid", "Malmö", "Berlin", "Wien")
LANGUAGES = ("fr", "fr", "nl", "it", "es", "sv", "de", "de")


async def add_members(db: Database, settings: Settings, count: int, seed: int = 90) -> int:
    """`count` members named m00000…, with profiles; the number written."""
    private_pem, public_pem = generate_rsa_keypair()
    private_enc = encrypt_private_key(private_pem, settings.secret())
    uris, rng, at = node_uris(settings), random.Random(seed), datetime.now(UTC)
    actors, profiles = table(Actor), table(MemberProfile)
    for start in range(0, count, CHUNK):
        rows, places = [], []
        for n in range(start, min(start + CHUNK, count)):
            username = f"m{n:05d}"
            uri = uris.actor(ActorKind.MEMBER, username)
            place = rng.randrange(len(COUNTRIES))
            places.append(place)
            rows.append({
                "uri": uri, "key_id": NodeUris.key_id(uri), "local": True, "kind": "member",
                "ap_type": AP_TYPES[ActorKind.MEMBER], "username": username, "domain": None,
                "name": f"Member {n}", "language": LANGUAGES[place], "public_key_pem": public_pem,
                "private_key_enc": private_enc, "discoverable": rng.random() < 0.8,
                "indexable": rng.random() < 0.6, "created_at": at, "updated_at": at,
            })  # fmt: skip
        async with db.session() as session, session.begin():
            ids = (await session.scalars(
                insert(actors).returning(actors.c.id, sort_by_parameter_order=True), rows
            )).all()  # fmt: skip
            await session.execute(insert(profiles), [
                {"actor_id": actor_id, "email": None, "country": COUNTRIES[place],
                 "city": CITIES[place], "languages": [LANGUAGES[place], "en"], "skills": [],
                 "links": []}
                for actor_id, place in zip(ids, places, strict=True)
            ])  # fmt: skip
    return count


async def add_hosts(db: Database, settings: Settings, followed: Actor, inboxes: list[str]) -> None:
    """A `hosts` row for each shared inbox's host and its remote followers (10 a host, as in
    bench/fanout.py), all following `followed`."""
    at = datetime.now(UTC)
    await add_followers(World(settings, db, {}), [followed], inboxes)
    hosts = sorted({inbox.split("/")[2] for inbox in inboxes})
    async with db.session() as session, session.begin():
        await session.execute(
            insert(table(Host)),
            [{"host": host, "failure_days": [], "updated_at": at} for host in hosts],
        )
