"""Operations on the place tree, grids and households. Each takes the acting user,
checks permission, changes rows and writes the audit log; the caller commits."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Iterable, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import permissions
from ..accounts.models import User
from ..audit import service as audit
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from .models import (
    ALLOWED_PARENTS,
    HOUSEHOLD_PLACE_KINDS,
    Grid,
    Household,
    HouseholdMember,
    Place,
    PlaceKind,
    Relation,
    natural_key,
)

NAME_MAX = 80
ROOM_MAX = 20
AREA_MAX = Decimal("100000")


def get_place(place_id: int) -> Place:
    place = db.session.get(Place, place_id)
    if place is None:
        raise NotFound(_l("No such place."))
    return place


def roots() -> list[Place]:
    return list(db.session.scalars(select(Place).where(Place.parent_id.is_(None)).order_by(Place.name)))


def clean_name(name: str, *, limit: int = NAME_MAX) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_l("A name is required."))
    if len(name) > limit:
        raise InvalidInput(_l("The name is too long (at most %(n)d characters).", n=limit))
    return name


def parse_area(value) -> Decimal:
    """Floor area in m²: a positive decimal with at most two places."""
    try:
        area = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(_l("The floor area must be a number of square metres."))
    if not area.is_finite() or area <= 0 or area >= AREA_MAX:
        raise InvalidInput(_l("The floor area must be a positive number of square metres."))
    if area.as_tuple().exponent < -2:
        raise InvalidInput(_l("The floor area has at most two decimal places."))
    return area.quantize(Decimal("0.01"))


def _check_parent(kind: PlaceKind, parent: Optional[Place]) -> None:
    allowed = ALLOWED_PARENTS[kind]
    if parent is None and allowed:
        raise InvalidInput(_l("A %(kind)s must lie inside another place.", kind=kind.label))
    if parent is not None and parent.kind not in allowed:
        raise InvalidInput(
            _l("A %(kind)s cannot be placed in a %(parent)s.", kind=kind.label, parent=parent.kind.label)
        )


def _check_unique_name(parent: Optional[Place], name: str, *, exclude: Optional[Place] = None) -> None:
    query = select(Place.id).where(Place.name == name)
    query = query.where(Place.parent_id == parent.id) if parent else query.where(Place.parent_id.is_(None))
    if exclude is not None:
        query = query.where(Place.id != exclude.id)
    if db.session.scalar(query) is not None:
        raise Conflict(_l("There is already a place named “%(name)s” here.", name=name))


def _set_path(place: Place) -> None:
    db.session.flush()  # the path is made of ids
    prefix = place.parent.path if place.parent else "/"
    place.path = f"{prefix}{place.id}/"


def create_place(parent: Optional[Place], kind: PlaceKind, name: str, *, actor) -> Place:
    if parent is None:
        permissions.require(permissions.can_create_root_place(actor))
    else:
        permissions.require(permissions.can_manage_place(actor, parent))
    name = clean_name(name)
    _check_parent(kind, parent)
    _check_unique_name(parent, name)
    place = Place(kind=kind, name=name, parent=parent)
    db.session.add(place)
    _set_path(place)
    audit.record("place.create", place, actor=actor, place=place, kind=kind.value, name=name)
    return place


def rename_place(place: Place, name: str, *, actor) -> Place:
    permissions.require(permissions.can_manage_place(actor, place))
    name = clean_name(name)
    _check_unique_name(place.parent, name, exclude=place)
    old = place.name
    place.name = name
    audit.record("place.rename", place, actor=actor, place=place, old=old, new=name)
    return place


def dependent_records(place: Place) -> dict[str, int]:
    """Rows elsewhere that point at ``place``, by table: any table with a foreign key to
    places counts, so domains added later are covered without registering here."""
    places = Place.__table__
    counts: dict[str, int] = {}
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is not places or fk.parent is places.c.parent_id:
                continue
            n = db.session.scalar(select(func.count()).select_from(table).where(fk.parent == place.id))
            if n:
                counts[table.name] = counts.get(table.name, 0) + n
    return counts


def _refuse_if_in_use(place: Place, *, moving: bool) -> None:
    if db.session.scalar(select(func.count()).where(Place.parent_id == place.id)):
        if moving:
            raise Conflict(_l("%(name)s still has places inside it and cannot be moved.", name=place.name))
        raise Conflict(_l("%(name)s still has places inside it and cannot be deleted.", name=place.name))
    if dependent_records(place):
        if moving:
            raise Conflict(_l("%(name)s still has households, roles or other records and cannot be moved.",
                              name=place.name))
        raise Conflict(_l("%(name)s still has households, roles or other records and cannot be deleted.",
                          name=place.name))


def move_place(place: Place, new_parent: Place, *, actor) -> Place:
    permissions.require(permissions.can_manage_place(actor, place))
    permissions.require(permissions.can_manage_place(actor, new_parent))
    if new_parent.is_within(place):
        raise InvalidInput(_l("A place cannot be moved inside itself."))
    _check_parent(place.kind, new_parent)
    _refuse_if_in_use(place, moving=True)
    _check_unique_name(new_parent, place.name, exclude=place)
    old_parent = place.parent
    place.parent = new_parent
    _set_path(place)
    audit.record("place.move", place, actor=actor, place=place,
                 old_parent=old_parent.id if old_parent else None, new_parent=new_parent.id)
    return place


def delete_place(place: Place, *, actor) -> None:
    permissions.require(permissions.can_manage_place(actor, place))
    _refuse_if_in_use(place, moving=False)
    audit.record("place.delete", place, actor=actor, place=place.parent, name=place.name,
                 kind=place.kind.value)
    db.session.delete(place)
    db.session.flush()


# --- grids ---------------------------------------------------------------------------

def _buildings_of(community: Place, building_ids: Iterable[int]) -> list[Place]:
    ids = {int(i) for i in building_ids}
    buildings = list(db.session.scalars(select(Place).where(Place.id.in_(ids))))
    if len(buildings) != len(ids):
        raise NotFound(_l("No such place."))
    for b in buildings:
        if b.kind is not PlaceKind.building or not b.is_within(community):
            raise InvalidInput(_l("A grid groups buildings of its own community."))
    return buildings


def create_grid(community: Place, name: str, building_ids: Iterable[int], *, actor,
                parent: Optional[Grid] = None) -> Grid:
    """A grid of buildings; with ``parent``, a micro grid (微网格) of that large grid."""
    permissions.require(permissions.can_manage_place(actor, community))
    if community.kind is not PlaceKind.community:
        raise InvalidInput(_l("Grids are drawn within a community."))
    name = clean_name(name)
    if db.session.scalar(select(Grid.id).where(Grid.community_id == community.id, Grid.name == name)):
        raise Conflict(_l("There is already a grid named “%(name)s” here.", name=name))
    if parent is not None and (parent.community_id != community.id or parent.parent_id is not None):
        raise InvalidInput(_l("A micro grid lies in a large grid of its own community."))
    grid = Grid(community=community, name=name, buildings=_buildings_of(community, building_ids), parent=parent)
    db.session.add(grid)
    audit.record("grid.create", grid, actor=actor, place=community, name=name,
                 buildings=[b.id for b in grid.buildings], parent=getattr(parent, "id", None))
    return grid


def set_grid_buildings(grid: Grid, building_ids: Iterable[int], *, actor) -> Grid:
    permissions.require(permissions.can_manage_grid(actor, grid))
    grid.buildings = _buildings_of(grid.community, building_ids)
    audit.record("grid.buildings", grid, actor=actor, place=grid.community,
                 buildings=[b.id for b in grid.buildings])
    return grid


def delete_grid(grid: Grid, *, actor) -> None:
    permissions.require(permissions.can_manage_grid(actor, grid))
    from ..accounts.models import RoleGrant

    if grid.children:
        raise Conflict(_l("This grid holds micro grids; delete or move them first."))
    if db.session.scalar(select(func.count()).where(RoleGrant.grid_id == grid.id)):
        raise Conflict(_l("Grid workers are still assigned to this grid; revoke their roles first."))
    audit.record("grid.delete", grid, actor=actor, place=grid.community, name=grid.name)
    db.session.delete(grid)
    db.session.flush()


# --- households ------------------------------------------------------------------------

def clean_room(room: str) -> str:
    room = (room or "").strip()
    if not room:
        raise InvalidInput(_l("A room number is required."))
    if len(room) > ROOM_MAX:
        raise InvalidInput(_l("The room number is too long (at most %(n)d characters).", n=ROOM_MAX))
    return room


def households_in(place: Place) -> list[Household]:
    """The households of ``place`` and the places below it, in address order."""
    return in_address_order(db.session.scalars(
        select(Household).join(Household.place)
        .where(Place.path.startswith(place.path, autoescape=True))
    ))


def household_count(place: Place) -> int:
    """The households of ``place`` and of the places below it (a building's entrances)."""
    return db.session.scalar(select(func.count()).select_from(Household).join(Household.place)
                             .where(Place.path.startswith(place.path, autoescape=True))) or 0


def place_keys(places: Iterable[Place]) -> dict[int, tuple]:
    """Each place's position in address order: the natural keys of its names from the
    community down ("1号楼" before "10号楼"), read with one query for all the ancestors."""
    places = {p.id: p for p in places}
    ids = {i for p in places.values() for i in p.ancestor_ids}
    kinds_names = dict(db.session.execute(select(Place.id, Place.name).where(
        Place.id.in_(ids), Place.kind != PlaceKind.subdistrict)).all()) if ids else {}
    return {pid: tuple(natural_key(kinds_names[i]) for i in p.ancestor_ids if i in kinds_names)
            for pid, p in places.items()}


def in_address_order(households: Iterable[Household]) -> list[Household]:
    """Households sorted as their addresses read: building, entrance, then room."""
    households = list(households)
    keys = place_keys({h.place for h in households})
    return sorted(households, key=lambda h: (keys[h.place_id], natural_key(h.room)))


def people_in_address_order(people: Iterable, place: Optional[Place] = None) -> list:
    """People sorted by the address of their first household (within ``place`` if given),
    then by name; those without a household last."""
    people = list(people)
    homes = {}
    for person in people:
        mine = [m.household for m in person.memberships
                if place is None or m.household.place.is_within(place)]
        if mine:
            homes[person.id] = in_address_order(mine)[0]
    keys = place_keys({h.place for h in homes.values()})
    return sorted(people, key=lambda u: ((0, keys[homes[u.id].place_id], natural_key(homes[u.id].room))
                                         if u.id in homes else (1, (), ()), natural_key(u.name)))


def find_household(place: Place, room: str) -> Optional[Household]:
    return db.session.scalar(select(Household).where(Household.place_id == place.id, Household.room == room))


def add_household(place: Place, room: str, area, *, actor) -> Household:
    permissions.require(permissions.can_manage_place(actor, place))
    if place.kind not in HOUSEHOLD_PLACE_KINDS:
        raise InvalidInput(_l("Households belong to a building or an entrance."))
    room = clean_room(room)
    area = parse_area(area)
    if find_household(place, room):
        raise Conflict(_l("Room %(room)s already exists here.", room=room))
    household = Household(place=place, room=room, area=area)
    db.session.add(household)
    audit.record("household.create", household, actor=actor, place=place, room=room, area=str(area))
    return household


def update_household(household: Household, room: str, area, *, actor) -> Household:
    permissions.require(permissions.can_manage_place(actor, household.place))
    room = clean_room(room)
    area = parse_area(area)
    other = find_household(household.place, room)
    if other is not None and other.id != household.id:
        raise Conflict(_l("Room %(room)s already exists here.", room=room))
    audit.record("household.update", household, actor=actor, place=household.place,
                 old_room=household.room, room=room, old_area=str(household.area), area=str(area))
    household.room, household.area = room, area
    return household


def delete_household(household: Household, *, actor) -> None:
    permissions.require(permissions.can_manage_place(actor, household.place))
    if household.members:
        raise Conflict(_l("Room %(room)s still has members; remove them first.", room=household.room))
    from ..accounts.models import InviteCode

    if db.session.scalar(select(InviteCode.id).where(InviteCode.household_id == household.id,
                                                     InviteCode.used_at.is_not(None))):
        raise Conflict(_l("Room %(room)s has registered people in its history and cannot be deleted.",
                          room=household.room))
    for invite in db.session.scalars(select(InviteCode).where(InviteCode.household_id == household.id)):
        db.session.delete(invite)
    audit.record("household.delete", household, actor=actor, place=household.place, room=household.room)
    db.session.delete(household)
    db.session.flush()


def add_member(household: Household, user, relation: Relation, *, actor,
               designated_voter: bool = False) -> HouseholdMember:
    permissions.require(permissions.can_manage_place(actor, household.place))
    return attach_member(household, user, relation, actor=actor, designated_voter=designated_voter)


def attach_member(household: Household, user, relation: Relation, *, actor,
                  designated_voter: bool = False) -> HouseholdMember:
    """Make ``user`` a member of ``household``; the caller has checked permission. The
    first owner of a household is its designated voter until another is chosen."""
    if any(m.user_id == user.id for m in household.members):
        raise Conflict(_l("This person is already a member of room %(room)s.", room=household.room))
    if relation is Relation.owner and household.designated_voter is None:
        designated_voter = True
    if designated_voter and relation is not Relation.owner:
        raise InvalidInput(_l("Only an owner can be designated to vote for the household."))
    if designated_voter and household.designated_voter is not None:
        household.designated_voter.is_designated_voter = False
        db.session.flush()
    member = HouseholdMember(household=household, user=user, relation=relation,
                             is_designated_voter=designated_voter)
    db.session.add(member)
    audit.record("household.member_add", household, actor=actor, place=household.place,
                 user=user.id if user.id else None, relation=relation.value)
    return member


def remove_member(member: HouseholdMember, *, actor) -> None:
    household = member.household
    permissions.require(permissions.can_manage_place(actor, household.place))
    audit.record("household.member_remove", household, actor=actor, place=household.place,
                 user=member.user_id, relation=member.relation.value)
    household.members.remove(member)
    db.session.flush()
    if member.is_designated_voter:
        next_owner = next((m for m in household.members if m.relation is Relation.owner), None)
        if next_owner is not None:
            next_owner.is_designated_voter = True


def designate_voter(member: HouseholdMember, *, actor) -> HouseholdMember:
    household = member.household
    permissions.require(permissions.can_manage_place(actor, household.place))
    if member.relation is not Relation.owner:
        raise InvalidInput(_l("Only an owner can be designated to vote for the household."))
    current = household.designated_voter
    if current is not None and current.id != member.id:
        current.is_designated_voter = False
        db.session.flush()  # the database allows one designated voter per household
    member.is_designated_voter = True
    audit.record("household.designate_voter", household, actor=actor, place=household.place,
                 user=member.user_id)
    return member


def residents_of(place: Place, *, owners_only: bool = False) -> list[User]:
    """The people who live in ``place`` and below (the owners only, if asked)."""
    query = (select(User).join(HouseholdMember, HouseholdMember.user_id == User.id)
             .join(Household, Household.id == HouseholdMember.household_id).join(Place, Place.id == Household.place_id)
             .where(Place.path.startswith(place.path, autoescape=True)).distinct())
    if owners_only:
        query = query.where(HouseholdMember.relation == Relation.owner)
    return list(db.session.scalars(query))
