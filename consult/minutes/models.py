"""Minutes (会议纪要) of a meeting: drafted from the room's event log, edited by the
recorder, signed by the moderator and the representatives, published for a publicity
period (公示) and then archived. A signed version never changes: a correction is a new
version with its reason and its own hash."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..places.models import Place

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..meetings.models import Meeting


class MinutesState(enum.Enum):
    draft = "draft"            # the recorder writes
    signing = "signing"        # waiting for the signatures
    publicity = "publicity"    # 公示: residents may comment or object
    archived = "archived"

    @property
    def label(self):
        return {MinutesState.draft: _l("Draft"), MinutesState.signing: _l("Waiting for signatures"),
                MinutesState.publicity: _l("In publicity (公示)"), MinutesState.archived: _l("Archived")}[self]


class StatementDetail(enum.Enum):
    summary = "summary"   # who spoke, with the opening words
    full = "full"

    @property
    def label(self):
        return {StatementDetail.summary: _l("Summarised"), StatementDetail.full: _l("In full")}[self]


class Minutes(db.Model):
    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), unique=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    state: Mapped[MinutesState] = mapped_column(Enum(MinutesState, native_enum=False, length=20),
                                                default=MinutesState.draft)
    statements: Mapped[StatementDetail] = mapped_column(Enum(StatementDetail, native_enum=False, length=20),
                                                        default=StatementDetail.summary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[Optional[datetime]]
    publicity_ends_at: Mapped[Optional[datetime]]
    archived_at: Mapped[Optional[datetime]]

    meeting: Mapped["Meeting"] = relationship()
    place: Mapped[Place] = relationship()
    versions: Mapped[list["MinutesVersion"]] = relationship(back_populates="minutes", order_by="MinutesVersion.number",
                                                            cascade="all, delete-orphan")
    signers: Mapped[list["Signer"]] = relationship(back_populates="minutes", order_by="Signer.id",
                                                   cascade="all, delete-orphan")
    remarks: Mapped[list["Remark"]] = relationship(back_populates="minutes", order_by="Remark.id",
                                                   cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Minutes {self.id} of meeting {self.meeting_id} {self.state.value}>"

    @property
    def latest(self) -> "MinutesVersion":
        return self.versions[-1]

    @property
    def current(self) -> Optional["MinutesVersion"]:
        """The latest signed version: what the residents read."""
        return next((v for v in reversed(self.versions) if v.sha256), None)


class MinutesVersion(db.Model):
    __tablename__ = "minutes_versions"
    __table_args__ = (UniqueConstraint("minutes_id", "number", name="uq_minutes_versions_minutes_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    reason: Mapped[Optional[str]] = mapped_column(Text)          # why a correction was made
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set once, when the last signature lands; from then on the row never changes.
    signed_at: Mapped[Optional[datetime]]
    sha256: Mapped[Optional[str]] = mapped_column(String(64))
    canonical: Mapped[Optional[str]] = mapped_column(Text)       # exactly what was hashed

    minutes: Mapped[Minutes] = relationship(back_populates="versions")
    created_by: Mapped[Optional["User"]] = relationship()
    signatures: Mapped[list["Signature"]] = relationship(back_populates="version", order_by="Signature.id",
                                                         cascade="all, delete-orphan")

    @property
    def frozen(self) -> bool:
        return self.sha256 is not None


@event.listens_for(MinutesVersion, "before_update")
def _refuse_change_when_signed(mapper, connection, target: MinutesVersion):
    """A signed version is part of the record: the ORM refuses to change it (and the
    database refuses too, by trigger)."""
    history = db.inspect(target).attrs.sha256.history
    if history.deleted or history.unchanged:
        before = (history.deleted or history.unchanged)[0]
    else:   # not loaded since the last commit: ask the row
        before = connection.scalar(select(MinutesVersion.sha256).where(MinutesVersion.id == target.id))
    if before is not None:
        raise RuntimeError("signed minutes never change")


@event.listens_for(MinutesVersion, "before_delete")
def _refuse_delete_when_signed(mapper, connection, target: MinutesVersion):
    if target.sha256 is not None:
        raise RuntimeError("signed minutes never change")


class SignerRole(enum.Enum):
    moderator = "moderator"
    representative = "representative"

    @property
    def label(self):
        return {SignerRole.moderator: _l("Moderator"), SignerRole.representative: _l("Representative")}[self]


class Signer(db.Model):
    """Who must sign the minutes: the moderator, and the representatives named for them."""
    __tablename__ = "minutes_signers"
    __table_args__ = (UniqueConstraint("minutes_id", "user_id", name="uq_minutes_signers_minutes_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[SignerRole] = mapped_column(Enum(SignerRole, native_enum=False, length=20))

    minutes: Mapped[Minutes] = relationship(back_populates="signers")
    user: Mapped["User"] = relationship()


class Signature(db.Model):
    __tablename__ = "minutes_signatures"
    __table_args__ = (UniqueConstraint("version_id", "user_id", name="uq_minutes_signatures_version_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("minutes_versions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[SignerRole] = mapped_column(Enum(SignerRole, native_enum=False, length=20))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[MinutesVersion] = relationship(back_populates="signatures")
    user: Mapped["User"] = relationship()


class RemarkKind(enum.Enum):
    comment = "comment"
    objection = "objection"   # 异议: the moderator must answer before the minutes are archived

    @property
    def label(self):
        return {RemarkKind.comment: _l("Comment"), RemarkKind.objection: _l("Objection")}[self]


class Remark(db.Model):
    """A resident's comment or objection during the publicity period, and its answer."""
    __tablename__ = "minutes_remarks"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("minutes_versions.id"))
    kind: Mapped[RemarkKind] = mapped_column(Enum(RemarkKind, native_enum=False, length=20))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[Optional[str]] = mapped_column(Text)
    answered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[Optional[datetime]]

    minutes: Mapped[Minutes] = relationship(back_populates="remarks")
    version: Mapped[MinutesVersion] = relationship()
    author: Mapped["User"] = relationship(foreign_keys=[author_id])
    answered_by: Mapped[Optional["User"]] = relationship(foreign_keys=[answered_by_id])
