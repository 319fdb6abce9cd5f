"""Language and time zone selection."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app, has_request_context, session
from flask_babel import format_date, format_datetime
from flask_login import current_user

from .clock import to_local


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


def format_deadline(moment: datetime | None, fmt: str = "short") -> str:
    """A deadline as people say it: one that ends at local midnight is the end of the day
    before ("16 December 24:00"), not the start of the next one."""
    if moment is None:
        return ""
    local = to_local(moment)
    if local.time() != time.min:
        return format_datetime(moment, fmt)
    return f"{format_date(local.date() - timedelta(days=1), fmt)} 24:00"
