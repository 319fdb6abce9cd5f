"""Ballots, their electorate snapshotted at opening, and the votes.

One vote per voter per ballot is the unique constraint on ``ballot_participations``.
A named ballot keeps the choice on the participation row. A secret ballot keeps it in
``ballot_box`` instead: no voter, no time, a random receipt — nothing links the two.
"""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Enum, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..places.models import Place


class Electorate(enum.Enum):
    households = "households"   # 一户一票: any member casts the household's vote, the first counts
    owners = "owners"           # art. 278: one per owner, area = the units they vote for

    @property
    def label(self):
        return {Electorate.households: _l("One vote per household"),
                Electorate.owners: _l("Owners, by headcount and area")}[self]


class Secrecy(enum.Enum):
    named = "named"
    secret = "secret"


class BallotState(enum.Enum):
    draft = "draft"
    open = "open"
    closed = "closed"


class Choice(enum.Enum):
    yes = "yes"
    no = "no"
    abstain = "abstain"


class Ballot(db.Model):
    __tablename__ = "ballots"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    proposal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("proposals.id"), index=True)
    question: Mapped[str] = mapped_column(String(200))
    electorate: Mapped[Electorate] = mapped_column(Enum(Electorate, native_enum=False, length=20))
    secrecy: Mapped[Secrecy] = mapped_column(Enum(Secrecy, native_enum=False, length=10))
    rule: Mapped[str] = mapped_column(String(40))
    state: Mapped[BallotState] = mapped_column(Enum(BallotState, native_enum=False, length=10),
                                               default=BallotState.draft)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[Optional[datetime]]
    closed_at: Mapped[Optional[datetime]]
    # Frozen at closing: totals, checks, explanation.
    result: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)

    place: Mapped[Place] = relationship()

    def __repr__(self) -> str:
        return f"<Ballot {self.id} {self.state.value}>"


class BallotVoter(db.Model):
    """The electorate, snapshotted when the ballot opens."""

    __tablename__ = "ballot_voters"
    __table_args__ = (UniqueConstraint("ballot_id", "voter_key", name="uq_ballot_voters_ballot_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), index=True)
    voter_key: Mapped[str] = mapped_column(String(40))   # "household:12" or "owner:34"
    household_id: Mapped[Optional[int]] = mapped_column(ForeignKey("households.id"))
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    area: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class Participation(db.Model):
    """That a voter voted — and, for a named ballot only, what."""

    __tablename__ = "ballot_participations"
    __table_args__ = (
        UniqueConstraint("ballot_id", "voter_id", name="uq_ballot_participations_ballot_voter"),
        UniqueConstraint("ballot_id", "client_key", name="uq_ballot_participations_ballot_client_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("ballot_voters.id"))
    cast_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(10), default="online")
    client_key: Mapped[Optional[str]] = mapped_column(String(64))
    choice: Mapped[Optional[Choice]] = mapped_column(Enum(Choice, native_enum=False, length=10))
    receipt: Mapped[Optional[str]] = mapped_column(String(32))  # named ballots: shown back to the voter
    at: Mapped[datetime] = mapped_column(default=utcnow)

    voter: Mapped[BallotVoter] = relationship()


class BallotBoxEntry(db.Model):
    """A secret vote: the choice and the weight under a random receipt. No voter, no time,
    and no sequential id whose order could be matched against the participations."""

    __tablename__ = "ballot_box"

    receipt: Mapped[str] = mapped_column(String(32), primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), index=True)
    choice: Mapped[Choice] = mapped_column(Enum(Choice, native_enum=False, length=10))
    area: Mapped[Decimal] = mapped_column(Numeric(12, 2))
