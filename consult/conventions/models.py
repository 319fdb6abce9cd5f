"""Conventions (居民公约, 管理规约, 议事规则): a text drafted, read by the residents, adopted by
a ballot and published with its version number and SHA-256, amended the same way. An
adopted version never changes; an amendment is a new version with its reason."""
from __future__ import annotations

import enum
import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..places.models import Place

if TYPE_CHECKING:
    from ..voting.models import Ballot


class ConventionKind(enum.Enum):
    residents = "residents"      # 居民公约
    management = "management"    # 管理规约: owners decide (Civil Code art. 278)
    procedure = "procedure"      # 议事规则

    @property
    def label(self):
        return {ConventionKind.residents: _l("Residents' convention"),
                ConventionKind.management: _l("Management rules (owners)"),
                ConventionKind.procedure: _l("Rules of procedure")}[self]


class VersionState(enum.Enum):
    draft = "draft"              # written, read and discussed
    voting = "voting"            # put to the ballot
    adopted = "adopted"          # in force (the latest adopted version)
    rejected = "rejected"
    superseded = "superseded"    # replaced by a later adopted version

    @property
    def label(self):
        return {VersionState.draft: _l("Draft, open for comments"), VersionState.voting: _l("Being voted on"),
                VersionState.adopted: _l("In force"), VersionState.rejected: _l("Not adopted"),
                VersionState.superseded: _l("Superseded")}[self]


class Convention(db.Model):
    __tablename__ = "conventions"
    __table_args__ = (UniqueConstraint("place_id", "title", name="uq_conventions_place_title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    kind: Mapped[ConventionKind] = mapped_column(Enum(ConventionKind, native_enum=False, length=20))
    title: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    place: Mapped[Place] = relationship()
    versions: Mapped[list["ConventionVersion"]] = relationship(
        back_populates="convention", order_by="ConventionVersion.number", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Convention {self.id} {self.title!r}>"

    @property
    def in_force(self) -> Optional["ConventionVersion"]:
        return next((v for v in reversed(self.versions) if v.state is VersionState.adopted), None)

    @property
    def pending(self) -> Optional["ConventionVersion"]:
        """The version being drafted or voted on, if any."""
        return next((v for v in self.versions if v.state in (VersionState.draft, VersionState.voting)), None)


class ConventionVersion(db.Model):
    __tablename__ = "convention_versions"
    __table_args__ = (UniqueConstraint("convention_id", "number", name="uq_convention_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(ForeignKey("conventions.id"))
    number: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    # Why this version: the amendment's reason (empty for the first).
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[VersionState] = mapped_column(Enum(VersionState, native_enum=False, length=20),
                                                default=VersionState.draft)
    ballot_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ballots.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    adopted_at: Mapped[Optional[datetime]]
    # SHA-256 of the canonical text, set when adopted.
    sha256: Mapped[Optional[str]] = mapped_column(String(64))

    convention: Mapped[Convention] = relationship(back_populates="versions")
    ballot: Mapped[Optional["Ballot"]] = relationship()

    def __repr__(self) -> str:
        return f"<ConventionVersion c={self.convention_id} v{self.number} {self.state.value}>"

    def canonical(self) -> str:
        """The content the hash is taken of: title, version and text, with Unix line ends
        and no trailing spaces, so that the same words always give the same hash."""
        body = "\n".join(line.rstrip() for line in self.body.replace("\r\n", "\n").strip().split("\n"))
        return f"{self.convention.title}\nv{self.number}\n\n{body}\n"

    def digest(self) -> str:
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()
