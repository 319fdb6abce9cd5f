"""Ballots, their electorate snapshotted at opening, and the votes.

One vote per voter per ballot is the unique constraint on ``ballot_participations``.
A named ballot keeps the choice on the participation row. A secret ballot keeps it in
``ballot_box`` instead: no voter, no time, a random receipt, no order of casting —
nothing links the two.
"""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Enum, ForeignKey, Index, Numeric, PrimaryKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..places.models import Household, Place

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..proposals.models import Proposal


class Electorate(enum.Enum):
    households = "households"   # 一户一票: any member casts the household's vote, the first counts
    owners = "owners"           # art. 278: one per owner, area = the units they vote for
    attendees = "attendees"     # the people signed in to a meeting: one vote each

    @property
    def label(self):
        return {Electorate.households: _l("One vote per household"),
                Electorate.owners: _l("Owners, by headcount and area"),
                Electorate.attendees: _l("Attendees of a meeting, one vote each")}[self]


class BallotKind(enum.Enum):
    yes_no = "yes_no"       # for / against / abstain
    single = "single"       # one option among several
    multiple = "multiple"   # up to ``max_choices`` options

    @property
    def label(self):
        return {BallotKind.yes_no: _l("For, against or abstain"),
                BallotKind.single: _l("One choice among options"),
                BallotKind.multiple: _l("Several choices among options")}[self]


class Secrecy(enum.Enum):
    named = "named"
    secret = "secret"

    @property
    def label(self):
        return {Secrecy.named: _l("Named: who voted what is on the record"),
                Secrecy.secret: _l("Secret: nobody can see who voted what")}[self]


class BallotState(enum.Enum):
    draft = "draft"
    open = "open"
    closed = "closed"

    @property
    def label(self):
        return {BallotState.draft: _l("Not yet open"), BallotState.open: _l("Open for votes"),
                BallotState.closed: _l("Voting closed")}[self]


NONE_OF_THESE = "none"   # the key of the option "none of these" among the choices


class Choice(enum.Enum):
    """The marks of a for/against/abstain ballot (stored by value, like option numbers)."""

    yes = "yes"
    no = "no"
    abstain = "abstain"

    @property
    def label(self):
        return {Choice.yes: _l("For"), Choice.no: _l("Against"), Choice.abstain: _l("Abstain")}[self]


class Channel(enum.Enum):
    online = "online"
    paper = "paper"     # a signed paper ballot entered by a grid worker or moderator (代投)
    proxy = "proxy"     # cast by an owner's proxy (书面委托), online or on a signed paper
    assisted = "assisted"   # cast on a helper's phone, confirmed by the voter's code or signature

    @property
    def label(self):
        return {Channel.online: _l("Online"), Channel.paper: _l("Paper ballot"), Channel.proxy: _l("By proxy"),
                Channel.assisted: _l("Assisted vote")}[self]


class VoteChanges(enum.Enum):
    """Whether a voter may change a vote once cast, chosen when the ballot is drafted."""

    never = "never"
    once = "once"   # once, before the close

    @property
    def label(self):
        return {VoteChanges.never: _l("A vote cannot be changed once cast"),
                VoteChanges.once: _l("A voter may change their vote once, before the close")}[self]


class NonVoters(enum.Enum):
    """How the owners who did not vote are counted. The default: they are not counted; the
    alternative only where the owners' rules of procedure (议事规则) provide it."""

    not_counted = "not_counted"
    with_majority = "with_majority"

    @property
    def label(self):
        return {NonVoters.not_counted: _l("Owners who do not vote are not counted with the majority"),
                NonVoters.with_majority: _l("Owners who do not vote are counted with the majority, as the "
                                            "owners' rules of procedure provide")}[self]


class ResultStage(enum.Enum):
    """An owners' ballot's result: preliminary at the close, open to objections, then final."""

    preliminary = "preliminary"
    final = "final"

    @property
    def label(self):
        return {ResultStage.preliminary: _l("Preliminary result, open to objections"),
                ResultStage.final: _l("Final result")}[self]


class Ballot(db.Model):
    __tablename__ = "ballots"
    __table_args__ = (Index("ix_ballots_stage_objections_until", "stage", "objections_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    proposal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("proposals.id"), index=True)
    meeting_id: Mapped[Optional[int]] = mapped_column(ForeignKey("meetings.id"), index=True)
    question: Mapped[str] = mapped_column(String(200))
    kind: Mapped[BallotKind] = mapped_column(Enum(BallotKind, native_enum=False, length=10),
                                             default=BallotKind.yes_no)
    max_choices: Mapped[int] = mapped_column(default=1)
    electorate: Mapped[Electorate] = mapped_column(Enum(Electorate, native_enum=False, length=20))
    secrecy: Mapped[Secrecy] = mapped_column(Enum(Secrecy, native_enum=False, length=10))
    rule: Mapped[str] = mapped_column(String(40))
    state: Mapped[BallotState] = mapped_column(Enum(BallotState, native_enum=False, length=10),
                                               default=BallotState.draft)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A ballot over a period opens and closes by itself at these times (UTC).
    opens_at: Mapped[Optional[datetime]]
    closes_at: Mapped[Optional[datetime]]
    opened_at: Mapped[Optional[datetime]]
    closed_at: Mapped[Optional[datetime]]
    # Frozen at closing: totals, checks, the explanation in each language, the breakdown.
    result: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    # Chosen when drafted: may a vote be changed, and how non-voters are counted (with the
    # article of the owners' rules of procedure that provides it).
    changes: Mapped[VoteChanges] = mapped_column(Enum(VoteChanges, native_enum=False, length=10),
                                                 default=VoteChanges.never)
    non_voters: Mapped[NonVoters] = mapped_column(Enum(NonVoters, native_enum=False, length=20),
                                                  default=NonVoters.not_counted)
    non_voters_reference: Mapped[Optional[str]] = mapped_column(String(200))
    # Extended once, short of participation: when, from which closing time, and why.
    extended_at: Mapped[Optional[datetime]]
    first_closes_at: Mapped[Optional[datetime]]
    extension_reason: Mapped[Optional[str]] = mapped_column(String(500))
    # Owners' ballots: the result is preliminary at the close (``result``) and open to
    # objections until ``objections_until``; the final result, recounted with the
    # corrections, decides the matter.
    stage: Mapped[Optional[ResultStage]] = mapped_column(Enum(ResultStage, native_enum=False, length=12))
    objections_until: Mapped[Optional[datetime]]
    final_result: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    finalized_at: Mapped[Optional[datetime]]

    place: Mapped[Place] = relationship()
    proposal: Mapped[Optional["Proposal"]] = relationship()
    created_by: Mapped[Optional["User"]] = relationship()
    options: Mapped[list["BallotOption"]] = relationship(order_by="BallotOption.position",
                                                         cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Ballot {self.id} {self.state.value}>"

    def choices(self) -> dict[str, str]:
        """Option key → label, in order: ``yes/no/abstain`` or ``"1"``, ``"2"`` …"""
        if self.kind is BallotKind.yes_no:
            return {c.value: str(c.label) for c in Choice}
        return {NONE_OF_THESE if o.none_of_these else str(o.position): o.label for o in self.options}

    def choice_keys(self) -> list[str]:
        """The keys of ``choices``, without their labels."""
        if self.kind is BallotKind.yes_no:
            return [c.value for c in Choice]
        return [NONE_OF_THESE if o.none_of_these else str(o.position) for o in self.options]

    def choice_words(self) -> dict[str, Any]:
        """Option key → label as a record keeps it for readers of any language: the marks
        of a for/against ballot as the system's words, options as they were written."""
        if self.kind is BallotKind.yes_no:
            return {c.value: {"key": f"choice_{c.value}"} for c in Choice}
        return self.choices()

    def explanation(self, result: Optional[dict] = None) -> str:
        """The frozen explanation of ``result`` (by default the ballot's), in the reader's language."""
        from .rules import explain

        result = result or self.result or {}
        return explain(result.get("said", result.get("explanation")))


class BallotOption(db.Model):
    __tablename__ = "ballot_options"
    __table_args__ = (UniqueConstraint("ballot_id", "position", name="uq_ballot_options_ballot_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), index=True)
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(100))
    # "None of these": a vote against every option, counted under the key ``none``.
    none_of_these: Mapped[bool] = mapped_column(default=False)


class BallotVoter(db.Model):
    """The electorate, snapshotted when the ballot opens."""

    __tablename__ = "ballot_voters"
    __table_args__ = (UniqueConstraint("ballot_id", "voter_key", name="uq_ballot_voters_ballot_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), index=True)
    voter_key: Mapped[str] = mapped_column(String(40))   # "household:12", "owner:34", "person:56"
    household_id: Mapped[Optional[int]] = mapped_column(ForeignKey("households.id"))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))   # an owner or an attendee
    # The building the vote is counted under in the breakdown: an owner of units in several
    # buildings is counted under the building of their largest unit.
    building_id: Mapped[Optional[int]] = mapped_column(ForeignKey("places.id"))
    area: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    household: Mapped[Optional[Household]] = relationship()
    user: Mapped[Optional["User"]] = relationship()
    building: Mapped[Optional[Place]] = relationship()


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
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=10), default=Channel.online)
    client_key: Mapped[Optional[str]] = mapped_column(String(64))
    # Named ballots only: the marks, "yes" or "1,3"; and the receipt shown back to the voter.
    choice: Mapped[Optional[str]] = mapped_column(String(100))
    receipt: Mapped[Optional[str]] = mapped_column(String(32))
    # Paper ballots: the photo of the signed paper and who witnessed its entry.
    evidence: Mapped[Optional[str]] = mapped_column(String(32))
    witness: Mapped[Optional[str]] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the voter changed the vote (at most once, where the ballot allows it).
    changed_at: Mapped[Optional[datetime]]

    voter: Mapped[BallotVoter] = relationship()
    cast_by: Mapped["User"] = relationship()


class BallotBoxEntry(db.Model):
    """A secret vote: the choice and the weight under a random receipt. No voter, no time,
    and no order of casting that could be lined up with the participations or the audit log.

    The order in which rows were written is the one thing a database keeps unasked. So the
    table has no row ids of its own: on SQLite it is a WITHOUT ROWID table, stored in the
    order of its key (ballot, random receipt). On PostgreSQL the physical place (ctid) and
    the writing transaction (xmin) of each row follow the casting while the ballot is open;
    the count rewrites the ballot's rows in receipt order in its own transaction
    (``service._rewrite_box``), and a backup copies the box in receipt order, so that
    neither a closed ballot's rows nor any backup keeps an order of casting."""

    __tablename__ = "ballot_box"
    __table_args__ = (PrimaryKeyConstraint("ballot_id", "receipt", name="pk_ballot_box"),
                      {"sqlite_with_rowid": False})

    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"))
    receipt: Mapped[str] = mapped_column(String(32))
    choice: Mapped[str] = mapped_column(String(100))
    # Only the weight the rule counts: the area for an art. 278 rule, else 0 — an exact
    # area would single out the owner of an unusual flat.
    area: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class ObjectionState(enum.Enum):
    open = "open"
    upheld = "upheld"
    rejected = "rejected"

    @property
    def label(self):
        return {ObjectionState.open: _l("Awaiting an answer"), ObjectionState.upheld: _l("Upheld"),
                ObjectionState.rejected: _l("Rejected")}[self]


class BallotObjection(db.Model):
    """An owner's objection to one entry of a preliminary result, and the answer on the
    record. An upheld objection to a named ballot may correct the entry (``correction``:
    ``{"choice": "no"}``, ``{"void": true}`` or ``{"area": "80.00"}``); the final result
    is recounted with every correction."""

    __tablename__ = "ballot_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("ballot_voters.id"))
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[ObjectionState] = mapped_column(Enum(ObjectionState, native_enum=False, length=10),
                                                  default=ObjectionState.open)
    answer: Mapped[Optional[str]] = mapped_column(String(500))
    answered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[Optional[datetime]]
    correction: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)

    voter: Mapped[BallotVoter] = relationship()
    raised_by: Mapped["User"] = relationship(foreign_keys=[raised_by_id])
    answered_by: Mapped[Optional["User"]] = relationship(foreign_keys=[answered_by_id])

    def __repr__(self) -> str:
        return f"<BallotObjection {self.id} {self.state.value}>"
