"""Wire shapes of team activities (pure): the Member object, role reading, members collection.

Interop: Mobilizon describes a membership as a `Member` object {actor: person, object: group,
role}; Lemmy adds moderators with Add{object: person, target: <group>/moderators}. Our Add and
Remove carry the person as `object` (Lemmy shape), the members collection as `target`, and the
role twice: `smartRole` (our term, as in application answers) and a Mobilizon-shaped `Member`
object in `result`.
"""

from __future__ import annotations

from typing import Any

from smartnode.actors.projects import Role
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import AS_CONTEXT, SMART_NS, id_of

TEAM_CONTEXT: list[Any] = [
    AS_CONTEXT,
    {"sm": SMART_NS, "smartRole": "sm:role", "mz": "https://joinmobilizon.org/ns#",
     "Member": "mz:Member", "role": "mz:role"},
]  # fmt: skip

#: Roles as Mobilizon names them, mapped onto ours (administrator/creator coordinate).
MOBILIZON_ROLES = {
    "creator": Role.COORDINATOR,
    "administrator": Role.COORDINATOR,
    "moderator": Role.COORDINATOR,
    "member": Role.MEMBER,
    "invited": Role.GUEST,
    "not_approved": Role.GUEST,
}


def members_uri(project_uri: str) -> str:
    """A project's members collection (ours, and the only one we accept for a remote Group)."""
    return NodeUris.collection(project_uri, "members")


def member_object(project_uri: str, member_uri: str, role: Role) -> dict[str, Any]:
    """A Mobilizon-shaped membership: who, in which group, with which role."""
    return {"type": "Member", "actor": member_uri, "object": project_uri, "role": role.value}


def team_extra(project_uri: str, member_uri: str, role: Role | None) -> dict[str, Any]:
    """Properties of an Add/Remove besides actor/object/to: target, and the role on an Add."""
    extra: dict[str, Any] = {
        "@context": TEAM_CONTEXT,
        "target": {"id": members_uri(project_uri), "type": "OrderedCollection",
                   "attributedTo": project_uri},
    }  # fmt: skip
    if role is not None:
        extra["smartRole"] = role.value
        extra["result"] = member_object(project_uri, member_uri, role)
    return extra


def role_of(body: dict[str, Any], default: Role = Role.MEMBER) -> Role:
    """The role an activity carries (smartRole, or a Member object's role); `default` if none."""
    candidates: list[Any] = [body.get("smartRole")]
    for key in ("result", "instrument", "object"):
        value = body.get(key)
        if isinstance(value, dict) and value.get("type") == "Member":
            candidates.append(value.get("role"))
    for value in candidates:
        if isinstance(value, str):
            if value in {r.value for r in Role}:
                return Role(value)
            if value in MOBILIZON_ROLES:
                return MOBILIZON_ROLES[value]
    return default


def member_of(body: dict[str, Any]) -> str | None:
    """The person an Add/Remove is about: `object` as an id, or a Member object's actor."""
    obj = body.get("object")
    if isinstance(obj, dict) and obj.get("type") == "Member":
        return id_of(obj.get("actor"))
    return id_of(obj)
