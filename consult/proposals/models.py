"""Proposals (议题): a matter raised in a place, its co-signatures, comments and the
public timeline of the six steps."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..places.models import Household, Place

if TYPE_CHECKING:
    from ..accounts.models import User


class Tier(enum.Enum):
    """The three tiers: 家中议, 围圈议, 联合议."""

    home = "home"
    circle = "circle"
    platform = "platform"

    @property
    def label(self):
        return TIER_LABELS[self]


TIER_LABELS = {
    Tier.home: _l("Home discussion"),
    Tier.circle: _l("Circle discussion"),
    Tier.platform: _l("Platform discussion"),
}
TIER_ORDER = [Tier.home, Tier.circle, Tier.platform]


class ProposalState(enum.Enum):
    submitted = "submitted"                    # raised, waiting for triage (说事)
    accepted = "accepted"                      # triaged, open for discussion (理事)
    under_deliberation = "under_deliberation"  # a meeting or ballot is attached (议事)
    decided = "decided"
    in_action = "in_action"                    # motions assigned (办事)
    awaiting_evaluation = "awaiting_evaluation"  # residents rate the outcome (评事)
    closed = "closed"
    reopened = "reopened"                      # residents not satisfied (查事)
    answered = "answered"                      # settled at once (小事即办)
    referred = "referred"                      # handed elsewhere, e.g. the 12345 hotline
    declined = "declined"
    merged = "merged"                          # a duplicate, carried over into another

    @property
    def label(self):
        return STATE_LABELS[self]


STATE_LABELS = {
    ProposalState.submitted: _l("Waiting for triage"),
    ProposalState.accepted: _l("Open for discussion"),
    ProposalState.under_deliberation: _l("Under deliberation"),
    ProposalState.decided: _l("Decided"),
    ProposalState.in_action: _l("Being acted on"),
    ProposalState.awaiting_evaluation: _l("Awaiting evaluation"),
    ProposalState.closed: _l("Closed"),
    ProposalState.reopened: _l("Reopened"),
    ProposalState.answered: _l("Answered at once"),
    ProposalState.referred: _l("Referred elsewhere"),
    ProposalState.declined: _l("Declined"),
    ProposalState.merged: _l("Merged into another matter"),
}


class Category(db.Model):
    """A category of matters; administrators edit the list."""

    __tablename__ = "proposal_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Category {self.id} {self.name_zh}>"

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en


class ProposalCall(db.Model):
    """A themed call for proposals (提案征集) in a place, open until its deadline."""

    __tablename__ = "proposal_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    closes_at: Mapped[datetime]
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    place: Mapped[Place] = relationship()

    def __repr__(self) -> str:
        return f"<ProposalCall {self.id} {self.title!r}>"

    @property
    def is_open(self) -> bool:
        return utcnow() < self.closes_at


class Proposal(db.Model):
    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(ForeignKey("proposal_categories.id"), index=True)
    tier: Mapped[Tier] = mapped_column(Enum(Tier, native_enum=False, length=20), default=Tier.home)
    state: Mapped[ProposalState] = mapped_column(
        Enum(ProposalState, native_enum=False, length=30), default=ProposalState.submitted, index=True
    )
    # The resident whose matter it is, and who typed it in when a grid worker or building
    # leader raised it for them (代办).
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    entered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("proposals.id"))
    call_id: Mapped[Optional[int]] = mapped_column(ForeignKey("proposal_calls.id"), index=True)
    cosign_count: Mapped[int] = mapped_column(default=0, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    place: Mapped[Place] = relationship()
    category: Mapped[Category] = relationship()
    author: Mapped["User"] = relationship(foreign_keys=[author_id])
    entered_by: Mapped[Optional["User"]] = relationship(foreign_keys=[entered_by_id])
    merged_into: Mapped[Optional["Proposal"]] = relationship(remote_side=[id], foreign_keys=[merged_into_id])
    call: Mapped[Optional[ProposalCall]] = relationship()
    events: Mapped[list["ProposalEvent"]] = relationship(
        back_populates="proposal", order_by="ProposalEvent.id", cascade="all, delete-orphan"
    )
    comments: Mapped[list["Comment"]] = relationship(
        back_populates="proposal", order_by="Comment.id", cascade="all, delete-orphan"
    )
    photos: Mapped[list["ProposalPhoto"]] = relationship(
        back_populates="proposal", order_by="ProposalPhoto.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.state.value} {self.title!r}>"

    @property
    def on_behalf(self) -> bool:
        return self.entered_by_id is not None and self.entered_by_id != self.author_id


class ProposalPhoto(db.Model):
    __tablename__ = "proposal_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    width: Mapped[int]
    height: Mapped[int]
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    proposal: Mapped["Proposal"] = relationship(back_populates="photos")


class ProposalEvent(db.Model):
    """One step of the public timeline: who did what, when, and why."""

    __tablename__ = "proposal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[Optional[str]] = mapped_column(String(30))
    to_state: Mapped[Optional[str]] = mapped_column(String(30))
    reason: Mapped[Optional[str]] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    proposal: Mapped[Proposal] = relationship(back_populates="events")
    actor: Mapped[Optional["User"]] = relationship()

    @property
    def words(self) -> Optional[str]:
        """The step's reason in the reader's language where the system wrote it: its own
        words, or a ballot's explanation (kept in every language when the ballot closed)."""
        from ..i18n import system_words

        detail = self.detail or {}
        if detail.get("said"):
            return system_words(detail["said"])
        if self.actor_id is None and detail.get("ballot"):
            from ..extensions import db
            from ..voting.models import Ballot

            ballot = db.session.get(Ballot, detail["ballot"])
            return (ballot.explanation() if ballot is not None and ballot.result else "") or self.reason
        return self.reason

    def __repr__(self) -> str:
        return f"<ProposalEvent {self.id} {self.action}>"


class CoSignature(db.Model):
    """A co-signature (联名): one per household and proposal, enforced by the database."""

    __tablename__ = "proposal_cosignatures"
    __table_args__ = (
        UniqueConstraint("proposal_id", "household_id", name="uq_proposal_cosignatures_proposal_household"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    proposal: Mapped[Proposal] = relationship()
    household: Mapped[Household] = relationship()
    user: Mapped["User"] = relationship()


class Comment(db.Model):
    __tablename__ = "proposal_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("proposal_comments.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A hidden comment keeps its place in the thread with the moderator's reason.
    hidden_reason: Mapped[Optional[str]] = mapped_column(Text)
    hidden_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reported_count: Mapped[int] = mapped_column(default=0, server_default="0")

    proposal: Mapped[Proposal] = relationship(back_populates="comments")
    author: Mapped["User"] = relationship(foreign_keys=[author_id])

    def __repr__(self) -> str:
        return f"<Comment {self.id} on {self.proposal_id}>"


# --- the counts per category and month (``rollups``) --------------------------------------------
# Days and months are the site's local ones, as integers: 20260315, 202603.

class ProposalFact(db.Model):
    """Where and when one matter is counted, as last added to ``ProposalCount``; none for a
    matter merged into another. No foreign key: the row outlives a deleted proposal until
    the flush that deleted it has taken it off the counts."""
    __tablename__ = "proposal_figure_facts"

    proposal_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    place_id: Mapped[int]
    category_id: Mapped[int]
    day: Mapped[int]


class ProposalCount(db.Model):
    """The matters raised in one place or below it (``place_id``: each place above a
    matter's own, and that one), of one category, in one local month (``day`` 0) or on one
    day of it."""
    __tablename__ = "proposal_figure_counts"

    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0)
