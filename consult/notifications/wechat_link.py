"""Linking a person's WeChat to their account: the official account's web OAuth flow.

From the account page the browser goes to WeChat's ``connect/oauth2/authorize`` with a
state kept in the session, and comes back with a code that the site exchanges for the
person's openid. On a computer, where WeChat is not, the page shows a QR code of the same
link for the phone's WeChat to scan: the phone has no session, so its state is the
account's number signed with the site's key, valid for ten minutes and shown only to the
person signed in."""
from __future__ import annotations

import hmac
import secrets
from typing import Optional

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from ..errors import InvalidInput
from ..extensions import db
from .channels import TemporaryError
from .channels.wechat import WeChatClient, WeChatError, authorize_url
from .preferences import link_wechat

SESSION_KEY = "wechat_state"
QR_MINUTES = 10
QR_PREFIX = "q."


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="wechat-link")


def redirect_uri() -> str:
    from flask import url_for

    return current_app.config["SITE_URL"].rstrip("/") + url_for("notifications.wechat_back")


def start_url(user) -> str:
    """Where this browser goes to link WeChat; its state is kept in the session."""
    state = secrets.token_urlsafe(16)
    session[SESSION_KEY] = state
    return authorize_url(current_app.config, redirect_uri(), state)


def qr_url(user) -> str:
    """The same link for a phone to scan: its state names the account, signed."""
    state = QR_PREFIX + _signer().sign(str(user.id)).decode()
    return authorize_url(current_app.config, redirect_uri(), state)


def qr_image(url: str) -> Optional[str]:
    """The link as a QR code (an SVG data URI), when segno is installed."""
    try:
        import segno
    except ImportError:
        return None
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def user_of_state(state: str, current) -> tuple[object, bool]:
    """The account a returning state belongs to, and whether it came by the QR code.
    A session state must match this browser's; a QR state must be signed and fresh."""
    from ..accounts.models import User

    state = state or ""
    if state.startswith(QR_PREFIX):
        try:
            user_id = int(_signer().unsign(state[len(QR_PREFIX):], max_age=QR_MINUTES * 60))
        except SignatureExpired:
            raise InvalidInput(_l("The QR code has expired: show a new one and scan it again."))
        except (BadSignature, ValueError):
            raise InvalidInput(_l("This link is not valid: start again from your account page."))
        user = db.session.get(User, user_id)
        if user is None or not user.active:
            raise InvalidInput(_l("This link is not valid: start again from your account page."))
        return user, True
    expected = session.pop(SESSION_KEY, None)
    if not getattr(current, "is_authenticated", False) or not expected \
            or not hmac.compare_digest(expected.encode(), state.encode()):
        raise InvalidInput(_l("This link is not valid: start again from your account page."))
    return current, False


def finish(state: str, code: str, current):
    """Back from WeChat: the account, linked to the openid of whoever authorised.
    Returns (user, by_qr)."""
    user, by_qr = user_of_state(state, current)
    if not code:
        raise InvalidInput(_l("WeChat was not allowed to say who you are: nothing was linked."))
    try:
        openid = WeChatClient(current_app.config).openid(code)
    except (WeChatError, TemporaryError):
        raise InvalidInput(_l("WeChat could not confirm who you are: try again."))
    link_wechat(user, openid, actor=user)
    return user, by_qr
