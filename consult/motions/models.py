"""Motions (办事): what a decision asks an organisation to do, by when, and how the
residents rated it (评事). Deadlines are naive UTC."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..places.models import Household, HouseholdMember, Place
from ..proposals.models import CoSignature

if TYPE_CHECKING:
    from ..accounts.models import Organisation, User
    from ..proposals.models import Proposal


class MotionState(enum.Enum):
    assigned = "assigned"          # sent to the responder, not yet acknowledged
    acknowledged = "acknowledged"  # the responder has it (接单)
    in_progress = "in_progress"    # accepted, wholly or in part, and being done
    declined = "declined"          # the responder will not do it: the moderator decides
    completed = "completed"        # done, residents are rating it (评事)
    reopened = "reopened"          # residents were not satisfied: the moderator decides
    closed = "closed"
    withdrawn = "withdrawn"

    @property
    def label(self):
        return STATE_LABELS[self]


STATE_LABELS = {
    MotionState.assigned: _l("Waiting to be acknowledged"),
    MotionState.acknowledged: _l("Acknowledged"),
    MotionState.in_progress: _l("In progress"),
    MotionState.declined: _l("Declined by the responder"),
    MotionState.completed: _l("Completed, being rated"),
    MotionState.reopened: _l("Reopened"),
    MotionState.closed: _l("Done"),
    MotionState.withdrawn: _l("Withdrawn"),
}

OPEN_STATES = frozenset({MotionState.assigned, MotionState.acknowledged, MotionState.in_progress,
                         MotionState.declined, MotionState.reopened})


class Answer(enum.Enum):
    accept = "accept"
    partial = "partial"
    decline = "decline"

    @property
    def label(self):
        return {Answer.accept: _l("Accepted"), Answer.partial: _l("Accepted in part"),
                Answer.decline: _l("Declined")}[self]


class Raters(enum.Enum):
    """Who rates the outcome: every household of the place, or the households of the
    resident who raised the matter and of those who co-signed it."""
    place = "place"
    proposal = "proposal"


class Score(enum.Enum):
    satisfied = "satisfied"      # 满意
    basically = "basically"      # 基本满意
    unsatisfied = "unsatisfied"  # 不满意

    @property
    def label(self):
        return {Score.satisfied: _l("Satisfied"), Score.basically: _l("Basically satisfied"),
                Score.unsatisfied: _l("Not satisfied")}[self]


class Motion(db.Model):
    __tablename__ = "motions"
    # The figures read every column they count from this index alone.
    __table_args__ = (Index("ix_motions_figures", "place_id", "created_at", "state", "completed_at", "reopened_count",
                            "overdue_at", "acknowledge_seconds", "complete_seconds"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    proposal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("proposals.id"), index=True)
    meeting_id: Mapped[Optional[int]] = mapped_column(ForeignKey("meetings.id"), index=True)
    ballot_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ballots.id"))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[MotionState] = mapped_column(Enum(MotionState, native_enum=False, length=20),
                                               default=MotionState.assigned, index=True)
    whistle: Mapped[bool] = mapped_column(default=False)  # 吹哨报到: several departments summoned
    raters: Mapped[Raters] = mapped_column(Enum(Raters, native_enum=False, length=20), default=Raters.place)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    complete_by: Mapped[datetime]
    # The responder's answer
    answer: Mapped[Optional[Answer]] = mapped_column(Enum(Answer, native_enum=False, length=20))
    answer_reason: Mapped[Optional[str]] = mapped_column(Text)
    acknowledged_at: Mapped[Optional[datetime]]       # the first responder to acknowledge
    completed_at: Mapped[Optional[datetime]]
    evidence: Mapped[Optional[str]] = mapped_column(Text)
    closed_at: Mapped[Optional[datetime]]
    # Seconds from assignment to the first acknowledgement and to completion: the medians
    # of the figures are taken over these columns.
    acknowledge_seconds: Mapped[Optional[int]]
    complete_seconds: Mapped[Optional[int]]
    # 评事
    evaluation_round: Mapped[int] = mapped_column(default=0)
    evaluation_closes_at: Mapped[Optional[datetime]]
    reopened_count: Mapped[int] = mapped_column(default=0)
    # More time asked for and not yet decided
    extension_until: Mapped[Optional[datetime]]
    extension_reason: Mapped[Optional[str]] = mapped_column(Text)
    # 查事: follow-up flags, each set once
    complete_reminded_at: Mapped[Optional[datetime]]
    overdue_at: Mapped[Optional[datetime]]   # first time any deadline of the motion passed
    completion_overdue_at: Mapped[Optional[datetime]]
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[Optional[datetime]]
    escalated_to_id: Mapped[Optional[int]] = mapped_column(ForeignKey("places.id"))

    place: Mapped[Place] = relationship(foreign_keys=[place_id])
    escalated_to: Mapped[Optional[Place]] = relationship(foreign_keys=[escalated_to_id])
    proposal: Mapped[Optional["Proposal"]] = relationship()
    created_by: Mapped[Optional["User"]] = relationship()
    responders: Mapped[list["Responder"]] = relationship(back_populates="motion", order_by="Responder.id",
                                                         cascade="all, delete-orphan")
    updates: Mapped[list["MotionUpdate"]] = relationship(back_populates="motion", order_by="MotionUpdate.id",
                                                         cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Motion {self.id} {self.state.value} {self.title!r}>"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def lead(self) -> "Responder":
        return self.responders[0]

    def is_overdue(self, now: datetime) -> bool:
        if self.state in (MotionState.assigned, MotionState.acknowledged, MotionState.in_progress):
            if now > self.complete_by:
                return True
            return any(r.acknowledged_at is None and now > r.acknowledge_by for r in self.responders)
        return False


class Responder(db.Model):
    """An organisation a motion is addressed to (and optionally one of its people). A
    whistle summons several; each must report (acknowledge) by its own deadline."""
    __tablename__ = "motion_responders"
    __table_args__ = (UniqueConstraint("motion_id", "organisation_id", name="uq_motion_responders_motion_org"),
                      Index("ix_motion_responders_figures", "motion_id", "organisation_id", "acknowledged_at",
                            "acknowledge_by"))

    id: Mapped[int] = mapped_column(primary_key=True)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    acknowledge_by: Mapped[datetime]
    acknowledged_at: Mapped[Optional[datetime]]
    acknowledged_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reminded_at: Mapped[Optional[datetime]]
    overdue_at: Mapped[Optional[datetime]]

    motion: Mapped[Motion] = relationship(back_populates="responders")
    organisation: Mapped["Organisation"] = relationship()
    person: Mapped[Optional["User"]] = relationship(foreign_keys=[person_id])

    @property
    def in_time(self) -> bool:
        return self.acknowledged_at is not None and self.acknowledged_at <= self.acknowledge_by


class MotionUpdate(db.Model):
    """One entry of a motion's public record: every action, with its words and photos."""
    __tablename__ = "motion_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30))
    body: Mapped[Optional[str]] = mapped_column(Text)
    photos: Mapped[list[Any]] = mapped_column(JSON, default=list)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    motion: Mapped[Motion] = relationship(back_populates="updates")
    actor: Mapped[Optional["User"]] = relationship()

    @property
    def words(self) -> Optional[str]:
        """The entry's words: the system's own in the reader's language, else as written."""
        from ..i18n import system_words

        said = (self.detail or {}).get("said")
        return system_words(said) if said else self.body


class Rating(db.Model):
    """评事: one rating per household and evaluation round, enforced by the database."""
    __tablename__ = "motion_ratings"
    __table_args__ = (UniqueConstraint("motion_id", "round", "household_id", name="uq_motion_ratings_household"),
                      Index("ix_motion_ratings_figures", "motion_id", "score"))

    id: Mapped[int] = mapped_column(primary_key=True)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"))
    round: Mapped[int]
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    score: Mapped[Score] = mapped_column(Enum(Score, native_enum=False, length=20))
    comment: Mapped[Optional[str]] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    household: Mapped[Household] = relationship()
    user: Mapped["User"] = relationship()


# --- who rates -------------------------------------------------------------------------------

def rater_households(motion: Motion):
    """A select of the ids of the households that rate this motion."""
    if motion.raters is Raters.proposal and motion.proposal_id is not None:
        people = select(CoSignature.user_id).where(CoSignature.proposal_id == motion.proposal_id)
        return select(HouseholdMember.household_id).where(
            or_(HouseholdMember.user_id == motion.proposal.author_id, HouseholdMember.user_id.in_(people)))
    return select(Household.id).join(Place).where(Place.path.startswith(motion.place.path, autoescape=True))


def rating_household(user, motion: Motion) -> Optional[Household]:
    """The household ``user`` would rate for now, or None (not a rater, or already rated)."""
    if motion.state is not MotionState.completed or not getattr(user, "is_authenticated", False):
        return None
    rated = select(Rating.household_id).where(Rating.motion_id == motion.id, Rating.round == motion.evaluation_round)
    return db.session.scalar(select(Household).join(HouseholdMember).where(
        HouseholdMember.user_id == user.id, Household.id.in_(rater_households(motion)),
        Household.id.not_in(rated)).order_by(Household.id).limit(1))


class StandingResponder(db.Model):
    """吹哨报到 "1+5+N": the organisations a place whistles by default when it makes a call;
    others are added per case."""
    __tablename__ = "standing_responders"
    __table_args__ = (UniqueConstraint("place_id", "organisation_id", name="uq_standing_responders_place_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    place: Mapped[Place] = relationship()
    organisation: Mapped["Organisation"] = relationship()


# --- the figures' rollups (接诉即办数据) --------------------------------------------------------
# Kept up to date in the transaction of every change of a motion (``rollups``), so that the
# figures of a place are a sum over a few rows instead of a count over all its motions.
# ``organisation_id`` 0 stands for the motion itself; another value for one organisation
# addressed. Days and months are the site's local ones, as integers: 20260315, 202603.

class FigureCounters:
    """The additive figures, the same in a motion's facts and in the counts."""

    received: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    resolved: Mapped[int] = mapped_column(default=0)
    settled: Mapped[int] = mapped_column(default=0)
    overdue: Mapped[int] = mapped_column(default=0)
    responders: Mapped[int] = mapped_column(default=0)
    responded_in_time: Mapped[int] = mapped_column(default=0)
    ratings: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[int] = mapped_column(default=0)


class FigureFact(FigureCounters, db.Model):
    """What one motion counts for in the figures, as last added to the rollups: the row
    with organisation 0 for the motion, one more for each organisation addressed."""
    __tablename__ = "motion_figure_facts"

    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    day: Mapped[int]
    acknowledge_seconds: Mapped[Optional[int]]
    complete_seconds: Mapped[Optional[int]]


class FigureCount(FigureCounters, db.Model):
    """The counts of the motions assigned in one place or below it (``place_id``: each
    place above a motion's own, and that one), in one local month (``day`` 0) or on one
    day of it."""
    __tablename__ = "motion_figure_counts"

    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    acknowledged: Mapped[int] = mapped_column(default=0)   # motions with a time to acknowledge
    finished: Mapped[int] = mapped_column(default=0)       # motions with a time to complete


class FigureDuration(db.Model):
    """One time to acknowledge (``kind`` 1) or to complete (2) of a motion, once for each
    place at or above the motion's own (``own``: that one): the median of a place and
    period is read from an index in the order of the seconds, at the offset its count
    gives."""
    __tablename__ = "motion_figure_durations"
    __table_args__ = (
        Index("ix_motion_figure_durations_period", "place_id", "kind", "organisation_id", "seconds", "day", "own"),
        Index("ix_motion_figure_durations_month", "place_id", "kind", "organisation_id", "month", "seconds", "day"),
    )

    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"), primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), primary_key=True)
    kind: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    organisation_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seconds: Mapped[int]
    day: Mapped[int]
    month: Mapped[int]
    own: Mapped[bool]
