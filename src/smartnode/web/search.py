"""The search page (/search): a form, ranked results with snippets, facets to narrow them.
Only what may be found is in the index (docs/search.md)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from smartnode.api.deps import SessionDep
from smartnode.errors import ValidationFailed
from smartnode.matching.search import KINDS, FacetCount, Filters, SearchPage, search
from smartnode.web.pages import UI_LANG, error_page, render

router = APIRouter(include_in_schema=False)
LIMIT = 20
_NAMES = {"kind": "Kind", "country": "Country", "language": "Language", "skill": "Skill"}


def _link(params: dict[str, str], **change: str) -> str:
    merged = {**params, **change}
    return "/search?" + urlencode({k: v for k, v in merged.items() if v})


def _facets(page: SearchPage, params: dict[str, str]) -> list[dict[str, Any]]:
    def entry(name: str, f: FacetCount) -> dict[str, Any]:
        url = _link(params, **{name: f.value})
        chosen = params.get(name) == f.value
        return {"label": f.label or f.value, "count": f.count, "url": url, "chosen": chosen}

    return [
        {"name": title, "entries": [entry(key, f) for f in page.facets.get(key, [])]}
        for key, title in _NAMES.items()
        if page.facets.get(key)
    ]


@router.get("/search")
async def search_page(
    request: Request,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query(max_length=16)] = "",
    country: Annotated[str, Query(max_length=2)] = "",
    language: Annotated[str, Query(max_length=3)] = "",
    skill: Annotated[str, Query(max_length=255)] = "",
    after: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """Results for `q` (any of the seven languages), narrowed by the facets chosen."""
    params = {"q": q, "kind": kind, "country": country.upper(), "language": language,
              "skill": skill}  # fmt: skip
    filters = Filters(
        kinds=[kind] if kind else (), skills=[skill] if skill else (),
        country=country.upper() or None, language=language or None,
    )  # fmt: skip
    try:
        page = await search(session, q, filters, viewer_language=UI_LANG, limit=LIMIT,
                            after=after)  # fmt: skip
    except ValidationFailed as exc:
        return error_page(request, 422, exc.message)
    hits = [{"hit": h, "snippet": Markup(h.snippet)} for h in page.hits]  # noqa: S704 - escaped
    return render(
        request, "search.html", q=q, kind=kind, kinds=KINDS, hits=hits, total=page.total,
        facets=_facets(page, params), searched=bool(q or kind or country or language or skill),
        next_url=_link(params, after=page.next) if page.next else None, noindex=True,
    )  # fmt: skip
