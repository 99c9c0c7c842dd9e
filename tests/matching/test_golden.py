"""Golden fixture: hand-made members and calls (tests/matching/golden/), the expected top three
of each call and their explanations in English and in each member's own language, asserted
exactly. `GOLDEN_UPDATE=1` rewrites the expectations (review the diff before committing)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from smartnode.federation.uris import NodeUris
from smartnode.matching.candidates import labels_for
from smartnode.matching.explain import render, uris_of
from smartnode.matching.notify import THRESHOLD, match_call
from smartnode.storage.models import ContentObject
from tests.matching import arrange
from tests.matching.arrange import call_row, member_with_profile, project, seed_taxonomy

FIXTURE = Path(__file__).parent / "golden" / "calls_and_members.json"
NAMES = {
    "compose": arrange.COMPOSE, "orchestrate": arrange.ORCHESTRATE,
    "write_songs": arrange.WRITE_SONGS, "film_music": arrange.FILM_MUSIC, "mix": arrange.MIX,
    "post_production": arrange.POST_PRODUCTION, "live_sound": arrange.LIVE_SOUND,
    "sound_designer": arrange.SOUND_DESIGNER, "composer": arrange.COMPOSER,
}  # fmt: skip


def _uris(value: Any) -> Any:
    """Short concept names of the fixture → ESCO URIs, anywhere in a structure."""
    if isinstance(value, dict):
        return {k: NAMES.get(v, v) if k in ("uri", "occupation") else _uris(v)
                for k, v in value.items()}  # fmt: skip
    if isinstance(value, list):
        return [_uris(v) for v in value]
    return value


async def _explained(db, settings, call: ContentObject, languages: dict[str, str]) -> list:
    uris = NodeUris(settings.base_url, settings.domain)
    async with db.session() as s:
        fresh = await s.get(ContentObject, call.id)
        assert fresh is not None
        matches = await match_call(
            s, uris, fresh, opt_in="suggestions", limit=3, threshold=THRESHOLD
        )
        found = []
        for m in matches:
            username = next(u for u, (i, _) in languages.items() if i == m.candidate.member_id)
            own = languages[username][1]
            shown = {}
            for lang in dict.fromkeys(["en", own]):
                labels = await labels_for(s, uris_of(m.parts), lang)
                shown[lang] = render(m.parts, lang, labels)
            found.append({"username": username, "score": m.score, "explanation": shown})
    return found


async def test_golden_calls_rank_and_explain_exactly(db, settings) -> None:
    fixture = json.loads(FIXTURE.read_text())
    await seed_taxonomy(db)
    people: dict[str, Any] = {}
    for entry in fixture["members"]:
        actor = await member_with_profile(
            db, settings, entry["username"], _uris(entry["profile"]), language=entry["language"]
        )
        people[entry["username"]] = (actor.id, entry["language"])
    team = await project(db, settings, fixture["project"]["name"],
                         fixture["project"]["coordinator"])  # fmt: skip
    actual = []
    for spec in fixture["calls"]:
        call = await call_row(db, team, _uris(spec["terms"]), name=spec["name"],
                              text=spec["text"], token=spec["token"])  # fmt: skip
        actual.append(await _explained(db, settings, call, people))
    if os.environ.get("GOLDEN_UPDATE"):
        for spec, found in zip(fixture["calls"], actual, strict=True):
            spec["expected"] = found
        FIXTURE.write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n")
    for spec, found in zip(fixture["calls"], actual, strict=True):
        assert found == spec["expected"], spec["token"]
