"""People, their credentials, the roles they hold in places, and organisations."""
from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Optional

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db
from ..places.models import Grid, Household, HouseholdMember, Place


class User(UserMixin, db.Model):
    """A person. Owners imported from a household list exist before they have a password;
    they sign in once they register with their household's invite code."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[Optional[str]] = mapped_column(String(20), unique=True)
    username: Mapped[Optional[str]] = mapped_column(String(40), unique=True)
    # Optional: messages are also sent here when the site has an SMTP server.
    email: Mapped[Optional[str]] = mapped_column(String(120))
    password_hash: Mapped[Optional[str]] = mapped_column(String(255))
    locale: Mapped[Optional[str]] = mapped_column(String(10))
    # 长辈模式: larger type, high contrast, big targets and a home of four tiles; set by the
    # person or by a grid worker who serves their household.
    elders_mode: Mapped[bool] = mapped_column(default=False, server_default=false())
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[Optional[datetime]]
    # Set when the person deleted their account: the row stays, anonymised, so that what
    # they wrote and signed keeps its place in the record (see accounts.personal_data).
    deleted_at: Mapped[Optional[datetime]]

    memberships: Mapped[list[HouseholdMember]] = relationship(back_populates="user")
    grants: Mapped[list["RoleGrant"]] = relationship(
        back_populates="user", foreign_keys="RoleGrant.user_id",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username or self.phone}>"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def can_sign_in(self) -> bool:
        return self.password_hash is not None and self.active

    @property
    def households(self) -> list[Household]:
        return [m.household for m in self.memberships]


class Role(enum.Enum):
    resident = "resident"
    building_leader = "building_leader"
    grid_worker = "grid_worker"
    grid_leader = "grid_leader"
    moderator = "moderator"
    property_manager = "property_manager"
    committee_member = "committee_member"
    department_rep = "department_rep"
    expert = "expert"
    administrator = "administrator"

    @property
    def label(self):
        return ROLE_LABELS[self]


# The roles that run things in a place: triage matters, draft ballots, schedule and run
# meetings, assign motions. Held in a place, they cover everything below it.
MODERATORS = (Role.moderator, Role.administrator)


ROLE_LABELS = {
    Role.resident: _l("Resident"),
    Role.building_leader: _l("Building leader"),
    Role.grid_worker: _l("Grid worker"),
    Role.grid_leader: _l("Grid leader"),
    Role.moderator: _l("Moderator"),
    Role.property_manager: _l("Property manager"),
    Role.committee_member: _l("Homeowners' committee member"),
    Role.department_rep: _l("Department representative"),
    Role.expert: _l("Expert"),
    Role.administrator: _l("Administrator"),
}


class RoleGrant(db.Model):
    """A role held in a place (covering the places below it) or in a grid (covering its
    buildings). An administrator grant with neither covers the whole installation."""

    __tablename__ = "role_grants"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "place_id", "grid_id", name="uq_role_grants_scope"),
        CheckConstraint("place_id IS NULL OR grid_id IS NULL", name="one_scope"),
        CheckConstraint(
            "place_id IS NOT NULL OR grid_id IS NOT NULL OR role = 'administrator'",
            name="global_only_admin",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=30))
    place_id: Mapped[Optional[int]] = mapped_column(ForeignKey("places.id"), index=True)
    grid_id: Mapped[Optional[int]] = mapped_column(ForeignKey("grids.id"), index=True)
    organisation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisations.id"))
    granted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
    place: Mapped[Optional[Place]] = relationship()
    grid: Mapped[Optional[Grid]] = relationship()
    organisation: Mapped[Optional["Organisation"]] = relationship()

    def __repr__(self) -> str:
        return f"<RoleGrant u={self.user_id} {self.role.value} p={self.place_id} g={self.grid_id}>"

    def covers(self, place: Place) -> bool:
        if self.place is not None:
            return place.is_within(self.place)
        if self.grid is not None:
            return self.grid.covers(place)
        return True  # installation-wide administrator

    @property
    def scope_name(self):
        if self.place is not None:
            return self.place.full_name
        if self.grid is not None:
            return self.grid.name
        return _l("Everywhere")


class OrganisationKind(enum.Enum):
    property_company = "property_company"
    owners_committee = "owners_committee"
    department = "department"
    social_organisation = "social_organisation"
    business = "business"                  # 社区合伙人: a shop, clinic, company of the place
    party_committee = "party_committee"    # 社区党委 / 党总支
    party_branch = "party_branch"          # 网格党支部
    party_group = "party_group"            # 楼栋党小组

    @property
    def label(self):
        return ORGANISATION_KIND_LABELS[self]


ORGANISATION_KIND_LABELS = {
    OrganisationKind.property_company: _l("Property company"),
    OrganisationKind.owners_committee: _l("Homeowners' committee"),
    OrganisationKind.department: _l("Department"),
    OrganisationKind.social_organisation: _l("Social organisation"),
    OrganisationKind.business: _l("Business"),
    OrganisationKind.party_committee: _l("Community Party committee"),
    OrganisationKind.party_branch: _l("Grid Party branch"),
    OrganisationKind.party_group: _l("Building Party group"),
}
# Party organisations (党组织): their members may show their identity (党员亮身份).
PARTY_KINDS = (OrganisationKind.party_committee, OrganisationKind.party_branch, OrganisationKind.party_group)
# Who may be registered as a partner of a place (社区合伙人).
PARTNER_KINDS = (OrganisationKind.business, OrganisationKind.social_organisation)


class Organisation(db.Model):
    """A party that is not a household: the property company, the homeowners' committee,
    a department (law enforcement, police, fire, market supervision …)."""

    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("place_id", "name", name="uq_organisations_place_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        Enum(OrganisationKind, native_enum=False, length=30)
    )
    name: Mapped[str] = mapped_column(String(100))
    # The place it serves: a property company its compound, a department its subdistrict.
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    place: Mapped[Place] = relationship()
    members: Mapped[list["OrganisationMember"]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class OrganisationMember(db.Model):
    __tablename__ = "organisation_members"
    __table_args__ = (
        UniqueConstraint("organisation_id", "user_id", name="uq_organisation_members_org_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[Optional[str]] = mapped_column(String(50))
    # 党员亮身份: the member chose to show their membership beside their name.
    public_identity: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Partner(db.Model):
    """社区合伙人: a business or social organisation registered as a partner of a place,
    with what it offers the residents."""

    __tablename__ = "partners"
    __table_args__ = (UniqueConstraint("place_id", "organisation_id", name="uq_partners_place_organisation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    offer: Mapped[str] = mapped_column(Text, default="")
    registered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)

    place: Mapped[Place] = relationship()
    organisation: Mapped[Organisation] = relationship()

    def __repr__(self) -> str:
        return f"<Partner p={self.place_id} o={self.organisation_id}>"


class InviteCode(db.Model):
    """A single-use code that lets one person register as a member of a household."""

    __tablename__ = "invite_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    used_at: Mapped[Optional[datetime]]
    used_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[Optional[datetime]]

    household: Mapped[Household] = relationship()
    used_by: Mapped[Optional[User]] = relationship(foreign_keys=[used_by_id])

    def __repr__(self) -> str:
        return f"<InviteCode {self.id} h={self.household_id}>"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None


class LoginFailure(db.Model):
    """A failed sign-in, kept briefly to throttle guessing per account and per address.
    In the database so that every server process sees the same count."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SignIn(db.Model):
    """One signed-in device: the Flask session carries its random ``token`` and is worth
    nothing once the record has ended, gone idle or grown too old. Signing out, "sign out
    everywhere", a password change and deactivation end records here, on the server."""

    __tablename__ = "sign_ins"
    __table_args__ = (Index("ix_sign_ins_user_id_ended_at", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Written at most once a minute, not at every request.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "Chrome · Android": a few words from the browser's User-Agent, not the header itself.
    device: Mapped[str] = mapped_column(String(60), default="")
    # The network, not the address: 203.0.113.0/24 or 2001:db8:1::/48.
    network: Mapped[Optional[str]] = mapped_column(String(50))
    ended_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<SignIn {self.id} u={self.user_id}{' ended' if self.ended_at else ''}>"

    def is_live(self, now: datetime, *, idle: timedelta, longest: timedelta) -> bool:
        return (self.ended_at is None and now - self.last_seen_at < idle
                and now - self.created_at < longest)


class PrivacyNotice(db.Model):
    """A version of the notice that tells people what is collected, why, for how long and
    who sees it. Administrators publish new versions; none is ever changed. Until the first
    is published, registration shows the notice built into the release (version 0)."""

    __tablename__ = "privacy_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    def __repr__(self) -> str:
        return f"<PrivacyNotice v{self.version}>"


class Consent(db.Model):
    """That a person agreed to a version of the notice, and when (0: the built-in one)."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("user_id", "version", name="uq_consents_user_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    version: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Consent u={self.user_id} v{self.version}>"
