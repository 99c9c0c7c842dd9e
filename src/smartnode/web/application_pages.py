"""The applications queue of one of our calls (/calls/{id}/applications): each applicant's
name, profile, skills, languages and motivation; shortlist, accept or refuse with a message.
Only the project's coordinators (the use cases decide); each decision reaches the applicant
wherever they are (a notification here, or the answer federated as the API sends it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.handles import handle_of
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.content import application_cases as cases
from smartnode.content.application_cases import ApplicationView
from smartnode.content.applications_to_ap import text_html
from smartnode.content.call_terms import call_terms
from smartnode.errors import Conflict, Forbidden, Gone, NotFound
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import MemberProfile
from smartnode.web.account_pages import Frame, render_framed, see_other
from smartnode.web.apply_pages import frame_of, inbox_context, to_signin
from smartnode.web.formats import format_date, language_label
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_, using
from smartnode.web.viewer import page_language, viewer_of

router = APIRouter(include_in_schema=False)
QUEUE_LIMIT = 200
Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$")]
STATE_NAMES = {"pending": N_("waiting"), "shortlisted": N_("shortlisted"),
               "accepted": N_("accepted"), "rejected": N_("refused"),
               "withdrawn": N_("withdrawn")}  # fmt: skip


async def _entry(session: AsyncSession, view: ApplicationView, domain: str) -> dict[str, Any]:
    applicant = view.applicant
    profile = await session.get(MemberProfile, applicant.id) if applicant.local else None
    return {
        "id": view.app.id,
        "name": applicant.name or applicant.username,
        "handle": handle_of(applicant, domain),
        "url": applicant.url if (applicant.url or "").startswith("https://") else applicant.uri,
        "bio": Markup(applicant.summary),  # noqa: S704 - sanitised when stored
        "skills": list(profile.skills) if profile else remote_skills(applicant),
        "fields": remote_fields(applicant),
        "languages": [language_label(c) for c in (profile.languages if profile else [])],
        "motivation": Markup(view.app.motivation),  # noqa: S704 - sanitised when stored
        "links": [u for u in view.app.links if u.startswith(("https://", "http://"))],
        "state": view.app.state,
        "state_name": STATE_NAMES.get(view.app.state, view.app.state),
        "applied": format_date(view.app.created_at),
        "open": view.app.state in ("pending", "shortlisted"),
    }


def remote_skills(applicant: Actor) -> list[str]:
    """A remote applicant's skills as their server states them (DefinedTerm names)."""
    skills = applicant.remote_profile.get("skills") if not applicant.local else None
    return [str(s["name"]) for s in skills or [] if isinstance(s, dict) and s.get("name")]


def remote_fields(applicant: Actor) -> list[tuple[str, Markup]]:
    """A remote applicant's profile fields (their languages, city, portfolio…), as shown on
    their server; values were sanitised when stored."""
    fields = applicant.remote_profile.get("fields") if not applicant.local else None
    return [(str(f["name"]), Markup(str(f["value"])))  # noqa: S704 - sanitised when stored
            for f in fields or [] if isinstance(f, dict) and f.get("name")]  # fmt: skip


def _refused(request: Request, frame: Frame, status: int) -> Response:
    message = N_("Only the project's coordinators see the applications to its calls.")
    if status == 404:
        message = N_("There is no such call.")
    return render_framed(request, "applications.html", frame, status_code=status,
                         refused=message)  # fmt: skip


@router.get("/calls/{token}/applications")
async def queue(request: Request, session: SessionDep, settings: SettingsDep,
                token: Token) -> Response:  # fmt: skip
    """The call's applications, newest first, with a decision form for each open one."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    try:
        with using(page_language(request, settings, viewer.account)):
            async with session.begin():
                call, views = await cases.call_applications(
                    session, request.app.state.uris, viewer.principal, token,
                    limit=QUEUE_LIMIT, before_id=None,
                )  # fmt: skip
                entries = [await _entry(session, view, settings.domain) for view in views]
                title = call_terms(call).title or ""
    except Forbidden:
        return _refused(request, frame, 403)
    except (NotFound, Gone):
        return _refused(request, frame, 404)
    done = request.query_params.get("done", "")
    done = done if done in ("shortlist", "accept", "reject") else ""
    return render_framed(request, "applications.html", frame, call_title=title,
                         call_url=call.uri, entries=entries, token=token, done=done)  # fmt: skip


@router.post("/calls/{token}/applications/{app_id}")
async def decide(
    request: Request, session: SessionDep, settings: SettingsDep, token: Token,
    app_id: Annotated[int, Path(ge=1)],
    decision: Annotated[str, Form(pattern=r"^(shortlist|accept|reject)$")],
    message: Annotated[str, Form(max_length=5000)] = "",
    role: Annotated[str, Form(pattern=r"^(member|guest)$")] = "member",
) -> Response:  # fmt: skip
    """Shortlist, accept or refuse one application (with a message to the applicant)."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(f"/calls/{token}/applications")
    frame = frame_of(request, viewer)
    said = text_html(message) if message.strip() else None
    try:
        async with session.begin():
            ctx = inbox_context(request, session, datetime.now(UTC))
            view = await cases.decide_application(
                ctx, viewer.principal, app_id, decision, role if decision == "accept" else None,
                said,
            )  # fmt: skip
            if view.call.uri != request.app.state.uris.call(token):
                raise NotFound("the application is not to this call")
    except Forbidden:
        return _refused(request, frame, 403)
    except NotFound:
        return _refused(request, frame, 404)
    except Conflict:
        return see_other(f"/calls/{token}/applications?done=late")
    return see_other(f"/calls/{token}/applications?done={decision}")
