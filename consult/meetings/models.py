"""Council meetings: who is invited, the agenda, who signed in, and the room's event log.

The event log is the truth of a meeting: every room action commits one row with the next
per-meeting sequence number, and a phone that reconnects asks for the rows after the last
one it saw. The other tables hold the current state the events led to, so that a page
load shows it without replaying the log.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..places.models import Grid, Place

if TYPE_CHECKING:
    from ..accounts.models import Organisation, User
    from ..proposals.models import Proposal


class MeetingKind(enum.Enum):
    home = "home"                  # 家中议
    circle = "circle"              # 围圈议
    platform = "platform"          # 联合议: departments, experts
    three_party = "three_party"    # 三方联席会: community, committee, property company

    @property
    def label(self):
        return {MeetingKind.home: _l("Home council"), MeetingKind.circle: _l("Circle council"),
                MeetingKind.platform: _l("Platform council"),
                MeetingKind.three_party: _l("Three-party meeting")}[self]


class MeetingForm(enum.Enum):
    online = "online"
    in_person = "in_person"
    hybrid = "hybrid"

    @property
    def label(self):
        return {MeetingForm.online: _l("Online"), MeetingForm.in_person: _l("In person"),
                MeetingForm.hybrid: _l("Online and in person")}[self]


class MeetingState(enum.Enum):
    scheduled = "scheduled"
    live = "live"
    paused = "paused"
    ended = "ended"
    cancelled = "cancelled"

    @property
    def label(self):
        return {MeetingState.scheduled: _l("Scheduled"), MeetingState.live: _l("In session"),
                MeetingState.paused: _l("Paused"), MeetingState.ended: _l("Ended"),
                MeetingState.cancelled: _l("Cancelled")}[self]


class Quorum(enum.Enum):
    none = "none"
    half = "half"               # more than half of the invitees present
    two_thirds = "two_thirds"   # at least two thirds

    @property
    def label(self):
        return {Quorum.none: _l("No quorum"), Quorum.half: _l("More than half of the invitees"),
                Quorum.two_thirds: _l("At least two thirds of the invitees")}[self]

    def met(self, present: int, expected: int) -> bool:
        if self is Quorum.half:
            return present * 2 > expected
        if self is Quorum.two_thirds:
            return present * 3 >= expected * 2
        return True


class Response(enum.Enum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"

    @property
    def label(self):
        return {Response.pending: _l("Not answered"), Response.accepted: _l("Will attend"),
                Response.declined: _l("Cannot attend")}[self]


class Meeting(db.Model):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[MeetingKind] = mapped_column(Enum(MeetingKind, native_enum=False, length=20))
    form: Mapped[MeetingForm] = mapped_column(Enum(MeetingForm, native_enum=False, length=20))
    starts_at: Mapped[datetime]
    location: Mapped[str] = mapped_column(String(200), default="")
    quorum: Mapped[Quorum] = mapped_column(Enum(Quorum, native_enum=False, length=20), default=Quorum.none)
    state: Mapped[MeetingState] = mapped_column(Enum(MeetingState, native_enum=False, length=20),
                                                default=MeetingState.scheduled)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorder_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # The room's state, as its events left it.
    last_seq: Mapped[int] = mapped_column(default=0)
    current_item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agenda_items.id", use_alter=True))
    speakers_open: Mapped[bool] = mapped_column(default=False)
    floor_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    floor_until: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[Optional[datetime]]
    ended_at: Mapped[Optional[datetime]]
    # 网格议事会: a council of a grid (its place is the grid's community).
    grid_id: Mapped[Optional[int]] = mapped_column(ForeignKey("grids.id"), index=True)
    # An occurrence of a standing council (月月有协商, 三方联席会).
    series_id: Mapped[Optional[int]] = mapped_column(ForeignKey("council_series.id"), index=True)

    place: Mapped[Place] = relationship()
    grid: Mapped[Optional[Grid]] = relationship()
    moderator: Mapped["User"] = relationship(foreign_keys=[moderator_id])
    recorder: Mapped[Optional["User"]] = relationship(foreign_keys=[recorder_id])
    floor_user: Mapped[Optional["User"]] = relationship(foreign_keys=[floor_user_id])
    agenda: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", foreign_keys="AgendaItem.meeting_id",
        cascade="all, delete-orphan")
    current_item: Mapped[Optional["AgendaItem"]] = relationship(foreign_keys=[current_item_id], post_update=True)
    invitees: Mapped[list["Invitee"]] = relationship(back_populates="meeting", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.state.value}>"

    @property
    def is_open(self) -> bool:
        """The room takes actions: started and not ended."""
        return self.state in (MeetingState.live, MeetingState.paused)


class Invitee(db.Model):
    """An invited person: by name, as a resident or owner of the place, or as a member of
    an invited organisation."""

    __tablename__ = "meeting_invitees"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id", name="uq_meeting_invitees_meeting_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisations.id"))
    response: Mapped[Response] = mapped_column(Enum(Response, native_enum=False, length=10),
                                               default=Response.pending)
    responded_at: Mapped[Optional[datetime]]

    meeting: Mapped[Meeting] = relationship(back_populates="invitees")
    user: Mapped["User"] = relationship()
    organisation: Mapped[Optional["Organisation"]] = relationship()


class AgendaItem(db.Model):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    proposal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("proposals.id"))
    decision: Mapped[Optional[str]] = mapped_column(Text)

    meeting: Mapped[Meeting] = relationship(back_populates="agenda", foreign_keys=[meeting_id])
    proposal: Mapped[Optional["Proposal"]] = relationship()


class Attendance(db.Model):
    """签到: a person signed in, online by entering the room or marked present in the hall."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id", name="uq_meeting_attendance_meeting_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    in_person: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped["User"] = relationship()


class RaisedHand(db.Model):
    __tablename__ = "meeting_hands"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id", name="uq_meeting_hands_meeting_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped["User"] = relationship()


class Statement(db.Model):
    """What an attendee said on an agenda item (the chat of the item)."""

    __tablename__ = "meeting_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agenda_items.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    hidden_reason: Mapped[Optional[str]] = mapped_column(String(500))
    hidden_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    author: Mapped["User"] = relationship(foreign_keys=[author_id])


class MeetingEvent(db.Model):
    """One committed room action, numbered within its meeting."""

    __tablename__ = "meeting_events"
    __table_args__ = (UniqueConstraint("meeting_id", "seq", name="uq_meeting_events_meeting_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def as_message(self) -> dict:
        return {"seq": self.seq, "kind": self.kind, "at": self.at.isoformat() + "Z", "data": self.data}


class SignedOut(db.Model):
    """A sign-in that was ended: its live-room connections may no longer act."""

    __tablename__ = "signed_out_logins"

    login_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
