"""The privacy notice (PIPL): what is collected, why, for how long and who sees it; its
versions, published by installation-wide administrators; and each person's consent.

A person agrees at registration. Once administrators publish a version, everyone signed
in who has not agreed to it is asked before they go on (``needs_consent``)."""
from __future__ import annotations

from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import permissions
from ..audit import service as audit
from ..errors import Conflict, InvalidInput
from ..extensions import db
from .models import Consent, PrivacyNotice, User

NOTICE_MAX = 20000

# Shown until administrators publish their own text (version 0). Markdown.
DEFAULT_NOTICE = _l(
    "**What we collect.** Your name and mobile number; your household (address, floor area, "
    "whether you own it or rent) and the roles you hold; what you write and do here: matters, "
    "comments, co-signatures, votes, meeting attendance and ratings; and, for each device you "
    "sign in on, the browser, the network (not the full address) and when it was last used.\n\n"
    "**Why.** So that you can take part in your community's councils: to check that you belong "
    "to a household of the place, to count co-signatures and votes by household and floor area, "
    "to send you messages about the matters you follow, and to keep your account safe.\n\n"
    "**For how long.** As long as you keep your account; records of signing in for about four "
    "months. When you delete your account, your name, number and contacts are removed at once; "
    "what you wrote, co-signed and signed stays in the public record as by a deleted account.\n\n"
    "**Who sees it.** Your neighbours see your name and number masked (王**, 138****1234). The "
    "grid worker, building leader, moderators and administrators of your place see them in full, "
    "as their work needs. A secret vote is never linked to you. Nothing is sold or passed on.\n\n"
    "Under “My account” you can see and download all of it, or delete your account."
)


def latest_notice() -> Optional[PrivacyNotice]:
    return db.session.scalar(select(PrivacyNotice).order_by(PrivacyNotice.version.desc()).limit(1))


def current_notice() -> tuple[int, str]:
    """The version in force and its text: the newest published, else the built-in one (0)."""
    notice = latest_notice()
    if notice is None:
        return 0, str(DEFAULT_NOTICE)
    return notice.version, notice.body


def publish_notice(body: str, *, actor) -> PrivacyNotice:
    """A new version of the notice; everyone is asked to agree to it again."""
    permissions.require(permissions.is_global_administrator(actor))
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_l("The notice cannot be empty."))
    if len(body) > NOTICE_MAX:
        raise InvalidInput(_l("The notice is too long (at most %(n)d characters).", n=NOTICE_MAX))
    version = (db.session.scalar(select(func.max(PrivacyNotice.version))) or 0) + 1
    notice = PrivacyNotice(version=version, body=body, created_by_id=actor.id)
    db.session.add(notice)
    audit.record("privacy_notice.publish", notice, actor=actor, version=version)
    return notice


def record_consent(user: User, version: int) -> Consent:
    """``user`` agreed to ``version``, which must still be the one in force."""
    current, _ = current_notice()
    if version != current:
        raise Conflict(_l("The notice has just changed. Please read it again."))
    consent = db.session.scalar(select(Consent).where(Consent.user_id == user.id, Consent.version == version))
    if consent is None:
        consent = Consent(user_id=user.id, version=version)
        db.session.add(consent)
    return consent


def needs_consent(user: User) -> bool:
    """Whether ``user`` must agree to a published version before going on."""
    # Asked before every page: one query.
    newest = select(func.max(PrivacyNotice.version)).scalar_subquery()
    agreed = select(Consent.id).where(Consent.user_id == user.id, Consent.version == newest).exists()
    version, given = db.session.execute(select(newest, agreed)).one()
    return version is not None and not given


def consents_of(user: User) -> list[Consent]:
    return list(db.session.scalars(select(Consent).where(Consent.user_id == user.id).order_by(Consent.at)))
