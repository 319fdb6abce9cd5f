"""What each person chooses: which channels carry which kinds of message, their quiet
hours, and the mobile number SMS goes to. A number receives SMS only once its owner typed
the code sent to it, so that nobody can send the site's messages to someone else's phone."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Optional

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ..clock import utcnow
from ..database import on_commit
from ..errors import InvalidInput, NotAllowed, TooManyAttempts
from ..extensions import db
from . import channels as channel_registry
from .channels import CHANNELS
from .outbox import DEFAULT_CHANNELS, GROUPS, Delivery, DeliverySetting

CODE_MINUTES = 10
CODE_ATTEMPTS = 5
# A new code at most once a minute, and at most this many numbers confirmed a day.
CODE_INTERVAL_SECONDS = 60
MOBILE = re.compile(r"^1[3-9]\d{9}$")
CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

GROUP_LABELS = {
    "ballot": _l("Ballots"),
    "meeting": _l("Meetings"),
    "proposal": _l("Matters raised"),
    "motion": _l("Motions"),
    "minutes": _l("Minutes"),
}
CHANNEL_LABELS = {"email": _l("E-mail"), "sms": _l("SMS"), "wechat": _l("WeChat"),
                  "push": _l("Browser notifications")}


def setting_of(user) -> Optional[DeliverySetting]:
    return db.session.get(DeliverySetting, user.id)


def _own(user, actor) -> DeliverySetting:
    if getattr(actor, "id", None) != user.id:
        raise NotAllowed(_l("Only the person themselves can change this."))
    setting = db.session.get(DeliverySetting, user.id, with_for_update=True)
    if setting is None:
        setting = DeliverySetting(user_id=user.id, code_attempts=0)
        db.session.add(setting)
    return setting


def chosen(user) -> dict[str, set[str]]:
    setting = setting_of(user)
    if setting is None or setting.channels is None:
        return {name: set(groups) for name, groups in DEFAULT_CHANNELS.items()}
    return {name: set(setting.channels.get(name) or []) for name in CHANNELS}


def choose(user, channels: dict[str, list[str]], quiet_start: str, quiet_end: str, *, actor,
           digest: bool = False) -> None:
    """Save the channels per group of messages, the quiet hours ("HH:MM", both or neither)
    and whether what is not urgent comes once a day in a digest."""
    setting = _own(user, actor)
    clean = {}
    for name in CHANNELS:
        groups = [g for g in channels.get(name, []) if g in GROUPS]
        clean[name] = sorted(set(groups), key=GROUPS.index)
    quiet_start, quiet_end = (quiet_start or "").strip(), (quiet_end or "").strip()
    if bool(quiet_start) != bool(quiet_end) or any(t and not CLOCK.match(t) for t in (quiet_start, quiet_end)):
        raise InvalidInput(_l("Give both ends of the quiet hours as hours and minutes, e.g. 22:00 and 08:00."))
    setting.channels = clean
    setting.quiet_start, setting.quiet_end = quiet_start or None, quiet_end or None
    was, setting.digest = setting.digest, bool(digest)
    if was and not setting.digest:
        # what waited for the digest goes now
        db.session.execute(update(Delivery).where(Delivery.user_id == user.id, Delivery.status == "held")
                           .values(status="queued", next_attempt_at=utcnow()))
    db.session.flush()


def _code_hash(code: str, number: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{number}:{code}".encode(), hashlib.sha256).hexdigest()


def ask_code(user, number: str, *, actor) -> None:
    """Send a code by SMS to ``number`` (after the commit); typing it back confirms it."""
    setting = _own(user, actor)
    number = re.sub(r"[\s-]", "", number or "").removeprefix("+86")
    if not MOBILE.match(number):
        raise InvalidInput(_l("Give a mainland mobile number of 11 digits."))
    if not channel_registry.enabled("sms", current_app.config) or \
            not (current_app.config.get("SMS_TEMPLATES") or {}).get("verify"):
        raise InvalidInput(_l("This site does not send SMS."))
    now = utcnow()
    if setting.code_expires_at is not None and \
            setting.code_expires_at - timedelta(minutes=CODE_MINUTES) + timedelta(seconds=CODE_INTERVAL_SECONDS) > now:
        raise TooManyAttempts(_l("A code was sent less than a minute ago: wait a moment."))
    taken = db.session.scalar(select(func.count()).select_from(DeliverySetting).where(
        DeliverySetting.sms_number == number, DeliverySetting.sms_verified_at.is_not(None),
        DeliverySetting.user_id != user.id))
    if taken:
        raise InvalidInput(_l("This number already receives another account's messages."))
    code = f"{secrets.randbelow(10**6):06d}"
    setting.code_number, setting.code_hash = number, _code_hash(code, number)
    setting.code_expires_at, setting.code_attempts = now + timedelta(minutes=CODE_MINUTES), 0
    db.session.flush()
    app = current_app._get_current_object()
    on_commit(lambda: _send_code(app, number, code))


def _send_code(app, number: str, code: str) -> None:
    from .outbox import Outgoing

    message = Outgoing(0, 1, 0, "sms", number, f"verify-{secrets.token_hex(8)}", "verify", {"code": code},
                       app.config["BABEL_DEFAULT_LOCALE"])
    channel_registry.channel("sms", app.config).send(message)


def confirm_code(user, code: str, *, actor) -> bool:
    """Whether the code was right. A wrong one counts (and is kept: no error rolls it back)."""
    setting = _own(user, actor)
    now = utcnow()
    if setting.code_hash is None or setting.code_expires_at is None or setting.code_expires_at < now:
        raise InvalidInput(_l("The code has expired: ask for a new one."))
    if setting.code_attempts >= CODE_ATTEMPTS:
        raise TooManyAttempts(_l("Too many wrong codes: ask for a new one."))
    if not hmac.compare_digest(setting.code_hash, _code_hash((code or "").strip(), setting.code_number)):
        setting.code_attempts += 1
        db.session.flush()
        return False
    setting.sms_number, setting.sms_verified_at = setting.code_number, now
    setting.code_hash = setting.code_number = setting.code_expires_at = None
    setting.code_attempts = 0
    db.session.flush()
    return True


def remove_number(user, *, actor) -> None:
    setting = _own(user, actor)
    setting.sms_number = setting.sms_verified_at = None
    db.session.flush()


def link_wechat(user, openid: str, *, actor) -> None:
    """Keep the openid WeChat gave for ``user`` (from the official account's web OAuth):
    the official account's messages go there from now on."""
    setting = _own(user, actor)
    openid = (openid or "").strip()
    if not openid or len(openid) > 64:
        raise InvalidInput(_l("WeChat did not say who you are: try again."))
    taken = db.session.scalar(select(func.count()).select_from(DeliverySetting).where(
        DeliverySetting.wechat_openid == openid, DeliverySetting.user_id != user.id))
    if taken:
        raise InvalidInput(_l("This WeChat already receives another account's messages."))
    setting.wechat_openid, setting.wechat_linked_at = openid, utcnow()
    db.session.flush()


def unlink_wechat(user, *, actor) -> None:
    setting = _own(user, actor)
    setting.wechat_openid = setting.wechat_linked_at = None
    db.session.flush()


def overview(user) -> dict:
    """For the account page: each channel, whether the site has it, and where it goes."""
    config = current_app.config
    setting = setting_of(user)
    return {
        "email": {"on": channel_registry.enabled("email", config), "address": user.email},
        "sms": {"on": channel_registry.enabled("sms", config),
                "address": setting.sms_number if setting is not None and setting.sms_verified_at else None},
        "wechat": {"on": channel_registry.enabled("wechat", config),
                   "address": _("linked") if setting is not None and setting.wechat_openid else None},
        "push": {"on": channel_registry.enabled("push", config),
                 "address": _browsers(user.id)},
    }


def _browsers(user_id: int) -> str | None:
    from flask_babel import ngettext

    from .push import browsers_of

    count = len(browsers_of(user_id))
    return ngettext("%(num)d browser", "%(num)d browsers", count) if count else None


def personal_data(user) -> dict:
    """For the person's own data (PIPL): what they chose, where SMS and WeChat messages go,
    and the browsers subscribed to web push (by their push service's address only)."""
    from .push import browsers_of

    setting = setting_of(user)
    chosen_channels = chosen(user)
    channels = " · ".join(
        f"{CHANNEL_LABELS[name]}: " + (", ".join(str(GROUP_LABELS[g]) for g in GROUPS if g in groups) or "—")
        for name, groups in chosen_channels.items() if name in CHANNEL_LABELS)
    settings = {
        "channels": channels,
        "quiet_hours": f"{setting.quiet_start}–{setting.quiet_end}" if setting and setting.quiet_start else None,
        "digest": bool(setting and setting.digest),
        "sms_number": setting.sms_number if setting and setting.sms_verified_at else None,
        "sms_verified_at": setting.sms_verified_at if setting else None,
        "wechat_openid": setting.wechat_openid if setting else None,
        "wechat_linked_at": setting.wechat_linked_at if setting else None,
    }
    browsers = [{"endpoint": browser.endpoint, "created_at": browser.created_at}
                for browser in sorted(browsers_of(user.id), key=lambda b: b.id)]
    return {"delivery_settings": settings, "push_subscriptions": browsers}
