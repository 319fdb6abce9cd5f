"""Turnout: the doors knocked on while a ballot is open, the reminders sent to a
building's non-voters, and the one-time codes an owner confirms an assisted vote with."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..voting.models import BallotVoter

if TYPE_CHECKING:
    from ..accounts.models import User


class DoorOutcome(enum.Enum):
    visited = "visited"          # 已入户，已告知
    not_home = "not_home"        # 无人在家
    refused = "refused"          # 拒绝
    voted_paper = "voted_paper"  # 已填纸质票
    proxy_given = "proxy_given"  # 已委托他人

    @property
    def label(self):
        return {DoorOutcome.visited: _l("Visited, told about the vote"),
                DoorOutcome.not_home: _l("Nobody at home"),
                DoorOutcome.refused: _l("Refused"),
                DoorOutcome.voted_paper: _l("Voted on paper"),
                DoorOutcome.proxy_given: _l("Gave a proxy")}[self]


class DoorVisit(db.Model):
    """One knock on a voter's door for a ballot (入户动员): what came of it, when and by whom."""

    __tablename__ = "turnout_visits"
    __table_args__ = (Index("ix_turnout_visits_ballot_voter", "ballot_id", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("ballot_voters.id"))
    outcome: Mapped[DoorOutcome] = mapped_column(Enum(DoorOutcome, native_enum=False, length=20))
    note: Mapped[str] = mapped_column(String(200), default="")
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    by: Mapped["User"] = relationship()

    def __repr__(self) -> str:
        return f"<DoorVisit {self.id} v={self.voter_id} {self.outcome.value}>"


class BuildingReminder(db.Model):
    """A building's non-voters reminded of a ballot: once per building per local day."""

    __tablename__ = "turnout_reminders"
    __table_args__ = (UniqueConstraint("ballot_id", "building_id", "day", name="uq_turnout_reminders_ballot_building_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"))
    building_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    day: Mapped[date]
    people: Mapped[int] = mapped_column(default=0)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AssistCode(db.Model):
    """A one-time code sent to an owner's own verified phone: typing it on the helper's
    phone confirms that the owner casts the assisted vote. Only its hash is kept."""

    __tablename__ = "turnout_assist_codes"
    __table_args__ = (Index("ix_turnout_assist_codes_ballot_voter", "ballot_id", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("ballot_voters.id"))
    helper_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[Optional[datetime]]


# The desk counts a ballot's voters per building and lists one building's: an index on
# the electorate's snapshot, declared here where it is needed.
Index("ix_ballot_voters_ballot_building", BallotVoter.ballot_id, BallotVoter.building_id)
