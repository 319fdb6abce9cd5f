"""The procedure around an owners' decision (Civil Code art. 278): the register checked in
public before the ballot, the objections to it, the notice and its delivery log, the
postings of the notice where it did not reach, property certificates bound to accounts,
and proxies (书面委托)."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Enum, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..places.models import Household, Place

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..voting.models import Ballot


HEADCOUNT_RULES = {
    "one_per_owner": _l("One vote per owner: co-owners of a unit vote through the one designated among them; "
                        "an owner of several units counts once, with their areas added up."),
}


class OwnerRegister(db.Model):
    """The register an owners' ballot will count, published for checking (公示) and frozen
    when the check period is over and every objection is settled."""

    __tablename__ = "owner_registers"

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), unique=True)
    headcount_rule: Mapped[str] = mapped_column(String(40), default="one_per_owner")
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    check_until: Mapped[datetime]
    frozen_at: Mapped[Optional[datetime]]

    ballot: Mapped["Ballot"] = relationship()
    published_by: Mapped["User"] = relationship()
    entries: Mapped[list["RegisterEntry"]] = relationship(back_populates="register", order_by="RegisterEntry.id",
                                                          cascade="all, delete-orphan")
    objections: Mapped[list["RegisterObjection"]] = relationship(back_populates="register",
                                                                 order_by="RegisterObjection.id")

    def __repr__(self) -> str:
        return f"<OwnerRegister {self.id} ballot={self.ballot_id}>"

    @property
    def headcount_rule_label(self) -> str:
        return str(HEADCOUNT_RULES.get(self.headcount_rule, self.headcount_rule))


class RegisterEntry(db.Model):
    """One unit as the register counts it: its exclusive area and the owner who casts its
    vote (None: no owner known, the unit's area counts in the total but nobody votes it)."""

    __tablename__ = "owner_register_entries"
    __table_args__ = (UniqueConstraint("register_id", "household_id", name="uq_owner_register_entries_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("owner_registers.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    area: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    # The property certificate is bound to the owner's account (where the installation asks).
    bound: Mapped[bool] = mapped_column(default=False)
    corrected_at: Mapped[Optional[datetime]]

    register: Mapped[OwnerRegister] = relationship(back_populates="entries")
    household: Mapped[Household] = relationship()
    owner: Mapped[Optional["User"]] = relationship()


class ObjectionState(enum.Enum):
    open = "open"
    upheld = "upheld"
    rejected = "rejected"

    @property
    def label(self):
        return {ObjectionState.open: _l("Waiting for an answer"), ObjectionState.upheld: _l("Upheld, corrected"),
                ObjectionState.rejected: _l("Rejected")}[self]


class RegisterObjection(db.Model):
    """An owner's objection to one entry, and how an administrator settled it. An upheld
    objection keeps the entry's values before and after the correction."""

    __tablename__ = "owner_register_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("owner_registers.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("owner_register_entries.id"))
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[ObjectionState] = mapped_column(Enum(ObjectionState, native_enum=False, length=10),
                                                  default=ObjectionState.open)
    answer: Mapped[Optional[str]] = mapped_column(String(500))
    settled_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[Optional[datetime]]
    # {"area": ["88.50", "86.20"], "owner": [12, 15]}: what the correction changed.
    change: Mapped[Optional[dict]] = mapped_column(JSON)

    register: Mapped[OwnerRegister] = relationship(back_populates="objections")
    entry: Mapped[RegisterEntry] = relationship()
    raised_by: Mapped["User"] = relationship(foreign_keys=[raised_by_id])
    settled_by: Mapped[Optional["User"]] = relationship(foreign_keys=[settled_by_id])


class OwnerNotice(db.Model):
    """The announcement of an owners' ballot (公告), at least OWNERS_NOTICE_DAYS before it
    opens: the matter, its documents (photos of them), the counting rule, the period and
    how to vote come with the ballot."""

    __tablename__ = "owner_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), unique=True)
    matter: Mapped[str] = mapped_column(Text)
    documents: Mapped[list] = mapped_column(JSON, default=list)   # photo tokens
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    ballot: Mapped["Ballot"] = relationship()
    published_by: Mapped["User"] = relationship()
    recipients: Mapped[list["NoticeRecipient"]] = relationship(back_populates="notice",
                                                               order_by="NoticeRecipient.id")
    postings: Mapped[list["NoticePosting"]] = relationship(back_populates="notice", order_by="NoticePosting.id")


class NoticeRecipient(db.Model):
    """An owner the notice was sent to, with the message whose deliveries say whether it
    reached them."""

    __tablename__ = "owner_notice_recipients"
    __table_args__ = (UniqueConstraint("notice_id", "user_id", name="uq_owner_notice_recipients_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("owner_notices.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    notification_id: Mapped[Optional[int]] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"))

    notice: Mapped[OwnerNotice] = relationship(back_populates="recipients")
    user: Mapped["User"] = relationship()


class NoticePosting(db.Model):
    """The printed notice posted in a building or entrance (张贴), with a photo: for the
    owners there whom no channel reached."""

    __tablename__ = "owner_notice_postings"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("owner_notices.id"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    spot: Mapped[str] = mapped_column(String(120))
    posted_at: Mapped[datetime]
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    photo: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    notice: Mapped[OwnerNotice] = relationship(back_populates="postings")
    place: Mapped[Place] = relationship()
    posted_by: Mapped["User"] = relationship()


class ClaimState(enum.Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"

    @property
    def label(self):
        return {ClaimState.pending: _l("Waiting for review"), ClaimState.approved: _l("Approved"),
                ClaimState.rejected: _l("Rejected")}[self]


class CertificateClaim(db.Model):
    """An owner binds their account to a unit by its property certificate number (不动产权证号),
    checked against the imported register and reviewed by staff."""

    __tablename__ = "owner_certificate_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    matches: Mapped[bool] = mapped_column(default=False)
    state: Mapped[ClaimState] = mapped_column(Enum(ClaimState, native_enum=False, length=10),
                                              default=ClaimState.pending)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[Optional[datetime]]

    user: Mapped["User"] = relationship(foreign_keys=[user_id])
    household: Mapped[Household] = relationship()


class ProxyMethod(enum.Enum):
    online = "online"   # authorised by the owner on this site
    signed = "signed"   # a signed paper authorisation, its photo recorded by staff

    @property
    def label(self):
        return {ProxyMethod.online: _l("Authorised online by the owner"),
                ProxyMethod.signed: _l("Signed authorisation recorded by staff")}[self]


class Proxy(db.Model):
    """书面委托: an owner authorises a proxy — an account, or a mobile number whose account
    may come later — to cast their vote, in one ballot or in the owners' ballots of a
    place over a period."""

    __tablename__ = "owner_proxies"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    proxy_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    proxy_phone: Mapped[Optional[str]] = mapped_column(String(20), index=True)
    ballot_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ballots.id"), index=True)
    valid_from: Mapped[Optional[datetime]]
    valid_until: Mapped[Optional[datetime]]
    method: Mapped[ProxyMethod] = mapped_column(Enum(ProxyMethod, native_enum=False, length=10))
    photo: Mapped[Optional[str]] = mapped_column(String(32))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[Optional[datetime]]
    revoked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    place: Mapped[Place] = relationship()
    owner: Mapped["User"] = relationship(foreign_keys=[owner_id])
    proxy: Mapped[Optional["User"]] = relationship(foreign_keys=[proxy_id])
    ballot: Mapped[Optional["Ballot"]] = relationship()
    recorded_by: Mapped["User"] = relationship(foreign_keys=[recorded_by_id])

    def __repr__(self) -> str:
        return f"<Proxy {self.id} owner={self.owner_id}>"


class ProxyVote(db.Model):
    """Which authorisation a proxy's vote was cast under (never what was voted)."""

    __tablename__ = "owner_proxy_votes"
    __table_args__ = (UniqueConstraint("ballot_id", "voter_id", name="uq_owner_proxy_votes_ballot_voter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proxy_id: Mapped[int] = mapped_column(ForeignKey("owner_proxies.id"), index=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("ballot_voters.id"))

    authorisation: Mapped[Proxy] = relationship()
