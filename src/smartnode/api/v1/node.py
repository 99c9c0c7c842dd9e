"""GET /api/smart/v1/node: what this node is and how big it is."""

from __future__ import annotations

from fastapi import APIRouter, Response

from smartnode import __version__
from smartnode.actors.records import count_live
from smartnode.api.deps import SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.auth import ChallengeRoute
from smartnode.api.v1.schemas import CountsOut, NodeOut, SoftwareOut, json_response
from smartnode.federation.uris import ActorKind

router = APIRouter(tags=["node"], route_class=ChallengeRoute)


@router.get(
    "/node",
    response_model=NodeOut,
    summary="About this node",
    description="Name, description, addresses, country, software and counts. Public.",
)
async def read_node(session: SessionDep, settings: SettingsDep, uris: UrisDep) -> Response:
    counts = CountsOut(
        members=await count_live(session, ActorKind.MEMBER),
        projects=await count_live(session, ActorKind.PROJECT),
    )
    node = NodeOut(
        name=settings.node_name,
        description=settings.node_description_for(settings.language)[0],
        descriptions=settings.node_description_map(),
        domain=settings.domain,
        base_url=settings.base_url,
        actor_uri=uris.node_actor,
        country=settings.node_country,
        software=SoftwareOut(name="smartnode", version=__version__),
        counts=counts,
    )
    return json_response(node)
