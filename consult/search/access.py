"""Who may read what, as SQL over the index, so that counting and paging happen in the
database. Each kind's audience restates its module's permission function in terms of
place paths (tests/search/test_access.py holds them to the same answers)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import false, or_, select, true

from .. import permissions
from ..accounts.models import MODERATORS, Role
from ..places.models import Place, PlaceKind
from .models import SearchDocument

EVERYWHERE = "/"
HELPERS = (Role.grid_worker, Role.building_leader)


@dataclass
class Scope:
    """The places a person reaches, as materialised paths ("/1/4/17/"; "/" is everywhere)."""
    user_id: int
    staff: list[str] = field(default_factory=list)       # any role but resident covers them
    moderating: list[str] = field(default_factory=list)  # moderator or administrator
    helping: list[str] = field(default_factory=list)     # served by a grid worker or building leader
    homes: list[str] = field(default_factory=list)       # the places of the person's households
    communities: list[str] = field(default_factory=list)  # the communities they belong to


def scope_of(user) -> Scope:
    scope = Scope(user_id=user.id)
    for grant in user.grants:
        if grant.place is not None:
            paths = [grant.place.path]
        elif grant.grid is not None:
            paths = [b.path for b in grant.grid.buildings]
        else:
            paths = [EVERYWHERE]
        if grant.role is not Role.resident:
            scope.staff += paths
        if grant.role in MODERATORS:
            scope.moderating += paths
        if grant.role in HELPERS and paths != [EVERYWHERE]:
            scope.helping += paths
    scope.homes = [m.household.place.path for m in user.memberships]
    scope.communities = [c.path for c in permissions.home_communities(user)]
    return scope


def readable(scope: Scope):
    """As ``permissions.can_view_place``: the places of the person's communities, where
    their roles reach, and the subdistrict level, which publishes to everyone."""
    if current_app.config.get("READ_SCOPE", "community") == "installation":
        return true()
    return or_(within(scope.staff), within(scope.moderating), within(scope.communities),
               SearchDocument.place_id.in_(select(Place.id).where(Place.kind == PlaceKind.subdistrict)))


def within(paths: list[str]):
    """The document's place is one of ``paths`` or lies below one."""
    if not paths:
        return false()
    if EVERYWHERE in paths:
        return true()
    return SearchDocument.place_id.in_(
        select(Place.id).where(or_(*[Place.path.startswith(p, autoescape=True) for p in sorted(set(paths))])))


def above(paths: list[str]):
    """The document's place is one of ``paths`` or lies above one."""
    ids = {int(part) for path in paths for part in path.strip("/").split("/") if part}
    return SearchDocument.place_id.in_(sorted(ids)) if ids else false()
