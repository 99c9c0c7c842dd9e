"""The search page (/search): a form, ranked results with snippets, facets to narrow them.
Only what may be found is in the index (docs/search.md)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from smartnode.api.deps import SessionDep
from smartnode.api.v1.search import asking
from smartnode.errors import ValidationFailed
from smartnode.matching.directory import federated_search
from smartnode.matching.search import KINDS, FacetCount, Filters, Hit, SearchPage, search
from smartnode.matching.search_vectors import shared_semantic
from smartnode.web.formats import country_label, language_label
from smartnode.web.i18n import N_, gettext, using
from smartnode.web.pages import error_page, render
from smartnode.web.viewer import request_language, viewer_of

router = APIRouter(include_in_schema=False)
LIMIT = 20
_NAMES = {
    "kind": N_("Kind"),
    "country": N_("Country"),
    "language": N_("Language"),
    "skill": N_("Skill"),
}
KIND_NAMES = {
    "member": N_("Member"), "project": N_("Project"), "call": N_("Open call"),
    "event": N_("Event"), "post": N_("Post"),
}  # fmt: skip


def _link(params: dict[str, str], **change: str) -> str:
    merged = {**params, **change}
    return "/search?" + urlencode({k: v for k, v in merged.items() if v})


def _label(name: str, facet: FacetCount) -> str:
    """A facet value as the page's language names it (kinds, countries, languages)."""
    if name == "kind":
        return gettext(KIND_NAMES.get(facet.value, facet.value))
    if name == "country":
        return country_label(facet.value)
    if name == "language":
        return language_label(facet.value)
    return facet.label or facet.value


def _facets(page: SearchPage, params: dict[str, str]) -> list[dict[str, Any]]:
    def entry(name: str, f: FacetCount) -> dict[str, Any]:
        url = _link(params, **{name: f.value})
        chosen = params.get(name) == f.value
        return {"label": _label(name, f), "count": f.count, "url": url, "chosen": chosen}

    return [
        {"name": gettext(title), "entries": [entry(key, f) for f in page.facets.get(key, [])]}
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
    peers: Annotated[str, Query(max_length=1)] = "",
) -> Response:
    """Results for `q` (any of the seven languages), narrowed by the facets chosen; with
    `peers` (signed-in members) also the trusted peer nodes' members who let them find them."""
    params = {"q": q, "kind": kind, "country": country.upper(), "language": language,
              "skill": skill, "peers": peers}  # fmt: skip
    filters = Filters(
        kinds=[kind] if kind else (), skills=[skill] if skill else (),
        country=country.upper() or None, language=language or None,
    )  # fmt: skip
    settings = request.app.state.settings
    viewer_language = request_language(request, settings)
    semantic = shared_semantic(settings.semantic_search)
    signed_in = await viewer_of(request, session, settings) is not None
    answers = None
    try:
        if peers and signed_in and after is None:
            page, answers = await federated_search(
                session, asking(request), q, filters, language=viewer_language, limit=LIMIT,
                semantic=semantic,
            )  # fmt: skip
        else:
            page = await search(session, q, filters, viewer_language=viewer_language,
                                limit=LIMIT, after=after, semantic=semantic)  # fmt: skip
    except ValidationFailed as exc:
        return error_page(request, 422, exc.message)
    with using(viewer_language):
        hits = [_hit_view(h) for h in page.hits]
        kinds = [(k, gettext(KIND_NAMES.get(k, k))) for k in KINDS]
        facets = _facets(page, params)
    return render(
        request, "search.html", q=q, kind=kind, kinds=kinds, hits=hits, total=page.total,
        facets=facets, searched=bool(q or kind or country or language or skill),
        next_url=_link(params, after=page.next) if page.next else None, noindex=True,
        lang=viewer_language, signed_in=signed_in, peers=bool(peers),
        left_out=", ".join(answers.left_out) if answers else "",
    )  # fmt: skip


def _hit_view(hit: Hit) -> dict[str, Any]:
    """A result: the hit, its snippet (escaped when indexed) and its kind's name."""
    snippet = Markup(hit.snippet)  # noqa: S704 - escaped when indexed
    return {"hit": hit, "snippet": snippet, "kind": gettext(KIND_NAMES.get(hit.kind, hit.kind))}
