"""The place tree (subdistrict → community → compound → building → entrance), grids,
households and the people attached to them."""
from __future__ import annotations

import enum
import re
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship
from sqlalchemy.orm.util import identity_key

from ..clock import utcnow
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User


class PlaceKind(enum.Enum):
    subdistrict = "subdistrict"
    community = "community"
    compound = "compound"
    building = "building"
    entrance = "entrance"

    @property
    def label(self):
        return PLACE_KIND_LABELS[self]


PLACE_KIND_LABELS = {
    PlaceKind.subdistrict: _l("Subdistrict"),
    PlaceKind.community: _l("Community"),
    PlaceKind.compound: _l("Compound"),
    PlaceKind.building: _l("Building"),
    PlaceKind.entrance: _l("Entrance"),
}

# Which kinds of place may hold which. A community without compounds holds its buildings
# directly; a building without entrances holds its households directly.
ALLOWED_PARENTS: dict[PlaceKind, tuple[PlaceKind, ...]] = {
    PlaceKind.subdistrict: (),
    PlaceKind.community: (PlaceKind.subdistrict,),
    PlaceKind.compound: (PlaceKind.community,),
    PlaceKind.building: (PlaceKind.compound, PlaceKind.community),
    PlaceKind.entrance: (PlaceKind.building,),
}
HOUSEHOLD_PLACE_KINDS = (PlaceKind.building, PlaceKind.entrance)
_NUMBER = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """Sorts names as people read an address: "2号楼" before "10号楼", "302" before "1302"."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _NUMBER.split(text or "") if part)


class Place(db.Model):
    __tablename__ = "places"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_places_parent_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PlaceKind] = mapped_column(Enum(PlaceKind, native_enum=False, length=20))
    name: Mapped[str] = mapped_column(String(80))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("places.id"), index=True)
    # Materialised path of ids, "/1/4/17/": descendants are one indexed LIKE away.
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Optional["Place"]] = relationship(
        remote_side=[id], back_populates="children"
    )
    # Address order: "2号楼" before "10号楼", room 302 before 1302 (shorter numbers first).
    children: Mapped[list["Place"]] = relationship(
        back_populates="parent", order_by=lambda: (func.length(Place.name), Place.name)
    )
    households: Mapped[list["Household"]] = relationship(
        back_populates="place", order_by=lambda: (func.length(Household.room), Household.room)
    )

    def __repr__(self) -> str:
        return f"<Place {self.id} {self.kind.value} {self.name!r}>"

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this place."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def ancestors(self) -> list["Place"]:
        """The places above this one, root first (not including itself)."""
        ids = self.ancestor_ids[:-1]
        if not ids:
            return []
        # A page asks for the same few places above again and again (breadcrumbs, the
        # community of each name shown): they are read once per session and kept with the
        # place (while its path is the same), and those the session holds are not read again.
        session = object_session(self) or db.session()
        kept = self.__dict__.get("_ancestors_kept")
        if kept is not None and kept[0] == self.path and all(object_session(p) is session for p in kept[1]):
            return list(kept[1])
        held = {i: session.identity_map.get(identity_key(Place, i)) for i in ids}
        found = {i: p for i, p in held.items() if p is not None}
        missing = [i for i in ids if i not in found]
        if missing:
            found.update((p.id, p) for p in session.scalars(select(Place).where(Place.id.in_(missing))))
        ancestors = [found[i] for i in ids if i in found]
        self._ancestors_kept = (self.path, ancestors)
        return list(ancestors)

    def is_within(self, other: "Place") -> bool:
        """True if this place is ``other`` or lies below it."""
        return self.path.startswith(other.path)

    def descendants_query(self, include_self: bool = True):
        query = select(Place).where(Place.path.startswith(self.path, autoescape=True))
        if not include_self:
            query = query.where(Place.id != self.id)
        return query

    @property
    def full_name(self) -> str:
        """The address below the community: "富成花园 3号楼 2单元"."""
        names = [p.name for p in self.ancestors() if p.kind not in
                 (PlaceKind.subdistrict,)] + [self.name]
        return " ".join(names)


grid_buildings = Table(
    "grid_buildings",
    db.metadata,
    Column("grid_id", ForeignKey("grids.id", ondelete="CASCADE"), primary_key=True),
    Column("place_id", ForeignKey("places.id"), primary_key=True),
)


class Grid(db.Model):
    """A grid (网格): buildings of one community looked after by grid workers."""

    __tablename__ = "grids"
    __table_args__ = (UniqueConstraint("community_id", "name", name="uq_grids_community_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # A micro grid (微网格) lies in a large grid (大网格) of the same community.
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("grids.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped[Place] = relationship()
    buildings: Mapped[list[Place]] = relationship(
        secondary=grid_buildings, order_by="Place.name"
    )
    parent: Mapped[Optional["Grid"]] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Grid"]] = relationship(back_populates="parent", order_by="Grid.name")

    def __repr__(self) -> str:
        return f"<Grid {self.id} {self.name!r}>"

    @property
    def all_buildings(self) -> list[Place]:
        """Its own buildings and those of its micro grids."""
        found = {b.id: b for b in self.buildings}
        for child in self.children:
            found.update((b.id, b) for b in child.all_buildings)
        return sorted(found.values(), key=lambda b: natural_key(b.name))

    def covers(self, place: Place) -> bool:
        """A large grid covers the buildings of its micro grids too."""
        return any(place.is_within(b) for b in self.buildings) or any(c.covers(place) for c in self.children)

    def lineage(self) -> list["Grid"]:
        """This grid and the grids it lies in, itself first."""
        grids, grid = [], self
        while grid is not None and grid not in grids:
            grids.append(grid)
            grid = grid.parent
        return grids


class Household(db.Model):
    """A household (户): one unit in a building or entrance, with its exclusive floor area."""

    __tablename__ = "households"
    __table_args__ = (
        UniqueConstraint("place_id", "room", name="uq_households_place_room"),
        CheckConstraint("area > 0", name="area_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    room: Mapped[str] = mapped_column(String(20))
    # Exclusive floor area in m², exact: it weighs owner votes (Civil Code art. 278).
    area: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    # The property certificate number (不动产权证号) from the imported register, against
    # which an owner's claim to the unit is checked.
    certificate_number: Mapped[Optional[str]] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    place: Mapped[Place] = relationship(back_populates="households")
    members: Mapped[list["HouseholdMember"]] = relationship(
        back_populates="household", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Household {self.id} {self.room!r}>"

    @property
    def address(self) -> str:
        return f"{self.place.full_name} {self.room}"

    def address_within(self, place: Place) -> str:
        """The address as read inside ``place``: "1单元 302" within building 1, the whole
        address for a household elsewhere."""
        if not self.place.is_within(place):
            return self.address
        names = [a.name for a in self.place.ancestors() if a.is_within(place) and a.id != place.id]
        names += [self.place.name] if self.place.id != place.id else []
        return " ".join(names + [self.room])

    @property
    def owners(self) -> list["HouseholdMember"]:
        return [m for m in self.members if m.relation is Relation.owner]

    @property
    def designated_voter(self) -> Optional["HouseholdMember"]:
        return next((m for m in self.members if m.is_designated_voter), None)


class Relation(enum.Enum):
    owner = "owner"
    family = "family"
    tenant = "tenant"

    @property
    def label(self):
        return RELATION_LABELS[self]


RELATION_LABELS = {
    Relation.owner: _l("Owner"),
    Relation.family: _l("Family member"),
    Relation.tenant: _l("Tenant"),
}


class HouseholdMember(db.Model):
    """A person's tie to a household: owner (co-owners are several owners), family or
    tenant. Among co-owners exactly one may be designated to vote for the unit."""

    __tablename__ = "household_members"
    __table_args__ = (
        UniqueConstraint("household_id", "user_id", name="uq_household_members_household_user"),
        # At most one designated voter per household, enforced by the database.
        Index(
            "uq_household_members_one_voter",
            "household_id",
            unique=True,
            sqlite_where=text("is_designated_voter"),
            postgresql_where=text("is_designated_voter"),
        ),
        CheckConstraint(
            "is_designated_voter = false OR relation = 'owner'", name="voter_is_owner"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    relation: Mapped[Relation] = mapped_column(Enum(Relation, native_enum=False, length=20))
    is_designated_voter: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    household: Mapped[Household] = relationship(back_populates="members")
    user: Mapped["User"] = relationship(back_populates="memberships")

    def __repr__(self) -> str:
        return f"<HouseholdMember h={self.household_id} u={self.user_id} {self.relation.value}>"
