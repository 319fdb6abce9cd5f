"""Language and time zone selection."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, session
from flask_login import current_user


def select_locale() -> str:
    """The signed-in person's language, else the one chosen in this browser, else Chinese.
    Outside a request (commands, service calls in tests) the default applies."""
    languages = current_app.config["LANGUAGES"]
    if has_request_context():
        if current_user and current_user.is_authenticated and current_user.locale in languages:
            return current_user.locale
        chosen = session.get("locale")
        if chosen in languages:
            return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def local_offset() -> timedelta:
    """How far the site's time zone is from UTC now (Beijing: 8 hours)."""
    return datetime.now(ZoneInfo(select_timezone())).utcoffset() or timedelta(0)
