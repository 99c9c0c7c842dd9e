"""Taking part in our events in the browser: Join and Leave on the event's page, and the
organisers' list of participants and requests (/events/{id}/participants) with Accept and
Refuse. The participation use cases decide; answers reach remote people as the API sends them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from smartnode.actors.handles import handle_of
from smartnode.api.cache import DocumentCache
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.content import participation_cases as cases
from smartnode.content.participation import facts
from smartnode.errors import Conflict, Forbidden, Gone, NotFound
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import EventParticipant
from smartnode.web.account_pages import Frame, render_framed, see_other
from smartnode.web.apply_pages import frame_of, to_signin
from smartnode.web.call_views import event_href
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_
from smartnode.web.viewer import viewer_of

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$")]
LIST_LIMIT = 500
STATE_NAMES = {"accepted": N_("taking part"), "pending": N_("waiting for your answer"),
               "rejected": N_("refused")}  # fmt: skip
MY_STATES = {"accepted": N_("You take part"), "pending": N_("Waiting for the organisers"),
             "rejected": N_("The organisers said no")}  # fmt: skip
ANSWERED = {"accept": N_("The request is accepted; they are told."),
            "reject": N_("The request is refused; they are told."),
            "full": N_("The event is full: nobody more can be accepted."),
            "late": N_("This request was already answered or withdrawn.")}  # fmt: skip


def _event_path(token: str) -> str:
    return f"/events/{token}"


def _documents(request: Request) -> None:
    documents: DocumentCache = request.app.state.documents
    documents.clear()


def refusal_word(error: Exception) -> str:
    """The word for `?done=` after a refused Join (the domain's reasons)."""
    if isinstance(error, Conflict):
        return "full" if "full" in error.message else "already"
    return "closed"


@router.post("/events/{token}/join")
async def join(
    request: Request, session: SessionDep, settings: SettingsDep, token: Token,
    message: Annotated[str, Form(max_length=4000)] = "",
) -> Response:  # fmt: skip
    """Take part (or ask to) as the signed-in member."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(_event_path(token) + "#take-part")
    frame = frame_of(request, viewer)
    uris = request.app.state.uris
    try:
        async with session.begin():
            row, _event = await cases.take_part(session, uris, viewer.principal,
                                                uris.event(token), message,
                                                datetime.now(UTC))  # fmt: skip
            done = "joined" if row.state == "accepted" else "asked"
    except (Conflict, Forbidden) as error:
        done = refusal_word(error)
    except (NotFound, Gone):
        return _refused(request, frame, 404, N_("There is no such event."))
    _documents(request)
    return see_other(f"{_event_path(token)}?done={done}#take-part")


@router.post("/events/{token}/leave")
async def leave(request: Request, session: SessionDep, settings: SettingsDep,
                token: Token) -> Response:  # fmt: skip
    """Stop taking part, or withdraw a request."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(_event_path(token) + "#take-part")
    uris = request.app.state.uris
    try:
        async with session.begin():
            await cases.stop_taking_part(session, uris, viewer.principal, uris.event(token),
                                         datetime.now(UTC))  # fmt: skip
    except (NotFound, Gone):
        return see_other(f"{_event_path(token)}#take-part")
    _documents(request)
    return see_other(f"{_event_path(token)}?done=left#take-part")


def _refused(request: Request, frame: Frame, status: int, message: str) -> Response:
    return render_framed(request, "participants.html", frame,
                         status_code=status, refused=message)  # fmt: skip


def _entry(row: EventParticipant, actor: Actor, domain: str) -> dict[str, Any]:
    profile = actor.uri if actor.local else (actor.url or actor.uri)
    return {
        "id": row.id,
        "name": actor.name or actor.username,
        "handle": handle_of(actor, domain),
        "url": profile if profile.startswith(("https://", "http://")) else None,
        "message": row.message,
        "state": row.state,
        "state_name": STATE_NAMES.get(row.state, row.state),
        "asked_at": row.created_at,
    }


@router.get("/events/{token}/participants")
async def participants(request: Request, session: SessionDep, settings: SettingsDep,
                       token: Token) -> Response:  # fmt: skip
    """Requests and participants, oldest first, for the event's organisers."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    uris = request.app.state.uris
    try:
        async with session.begin():
            found = await cases.standing(session, uris, viewer.principal, token)
            rows = await cases.participants(session, uris, viewer.principal, token, None,
                                            limit=LIST_LIMIT, after_id=None)  # fmt: skip
            title = found.event.name or ""
            entries = [_entry(row, actor, settings.domain) for row, actor in rows]
    except Forbidden:
        return _refused(request, frame, 403, N_("Only the event's organisers see who takes part."))
    except (NotFound, Gone):
        return _refused(request, frame, 404, N_("There is no such event."))
    done = ANSWERED.get(request.query_params.get("done", ""))
    return render_framed(request, "participants.html", frame, token=token,
                         title=title, entries=entries, done=done,
                         event_url=_event_path(token))  # fmt: skip


@router.post("/events/{token}/participants/{row_id}")
async def answer(
    request: Request, session: SessionDep, settings: SettingsDep, token: Token,
    row_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    decision: Annotated[str, Form(pattern=r"^(accept|reject)$")],
) -> Response:  # fmt: skip
    """Accept or refuse one pending request."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(f"/events/{token}/participants")
    frame = frame_of(request, viewer)
    back = f"/events/{token}/participants"
    try:
        async with session.begin():
            await cases.answer_participant(session, request.app.state.uris, viewer.principal,
                                           token, row_id, decision == "accept",
                                           datetime.now(UTC))  # fmt: skip
    except Forbidden:
        return _refused(request, frame, 403, N_("Only the event's organisers see who takes part."))
    except (NotFound, Gone):
        return _refused(request, frame, 404, N_("There is no such request."))
    except Conflict as error:
        return see_other(f"{back}?done={'full' if 'full' in error.message else 'late'}")
    _documents(request)
    return see_other(f"{back}?done={decision}")


def _mine(row: EventParticipant, event: ContentObject) -> dict[str, Any]:
    return {
        "name": event.name or event.uri,
        "url": event_href(event),
        "language": event.language or "",
        "starts_at": event.starts_at or event.published_at,
        "ends_at": event.ends_at,
        "timezone": str(facts(event).get("timezone") or "UTC"),
        "state": MY_STATES.get(row.state, row.state),
    }


@router.get("/account/events")
async def my_events(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The events the signed-in member takes part in or asked to, soonest first."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    async with session.begin():
        rows = await cases.my_participations(session, viewer.principal)
        entries = [_mine(row, event) for row, event in rows]
    return render_framed(request, "my_events.html", frame, entries=entries)
