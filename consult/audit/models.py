"""The append-only audit log: who did what to which record, and when."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[Optional[int]]
    # Not a foreign key: the entry must outlive a deleted place.
    place_id: Mapped[Optional[int]] = mapped_column(index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor = relationship("User")

    @property
    def label(self):
        return ACTION_LABELS.get(self.action, self.action)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.target_type}:{self.target_id}>"


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(mapper, connection, target):
    raise RuntimeError("audit entries are append-only")


ACTION_LABELS = {
    "account.activate": _l("Account reactivated"),
    "account.create": _l("Account created"),
    "account.create_admin": _l("Administrator created"),
    "account.deactivate": _l("Account deactivated"),
    "account.password_change": _l("Password changed"),
    "account.register": _l("Registered with an invite code"),
    "account.update": _l("Personal record corrected"),
    "grid.buildings": _l("Grid buildings changed"),
    "grid.create": _l("Grid created"),
    "grid.delete": _l("Grid deleted"),
    "household.create": _l("Household added"),
    "household.delete": _l("Household deleted"),
    "household.designate_voter": _l("Household voter designated"),
    "household.import": _l("Households imported"),
    "household.member_add": _l("Household member added"),
    "household.member_remove": _l("Household member removed"),
    "household.update": _l("Household changed"),
    "invite.issue": _l("Invite code issued"),
    "invite.issue_sheet": _l("Invite codes issued for a sheet"),
    "invite.revoke": _l("Invite code revoked"),
    "organisation.create": _l("Organisation created"),
    "organisation.member_add": _l("Organisation member added"),
    "organisation.member_remove": _l("Organisation member removed"),
    "place.create": _l("Place created"),
    "place.delete": _l("Place deleted"),
    "place.move": _l("Place moved"),
    "place.rename": _l("Place renamed"),
    "role.grant": _l("Role granted"),
    "role.revoke": _l("Role revoked"),
}
