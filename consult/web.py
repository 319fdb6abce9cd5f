"""What every page shares: sign-in loading, error pages, template helpers and one way
for views to run a service call as a transaction."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Callable

from urllib.parse import urlsplit

from flask import Flask, abort, flash, g, jsonify, redirect, render_template, request, url_for
from babel import dates as babel_dates
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale, to_user_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, SecurityError

from . import permissions
from .accounts.models import User
from .database import unit_of_work
from .errors import DomainError
from .extensions import db, login_manager
from .i18n import format_deadline, listed
from .markup import render_markdown
from .privacy import Revealed, mask_personal_numbers, reveal_text, shown_name, shown_phone

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    ok: bool
    value: Any = None
    error: DomainError | None = None

    @property
    def status(self) -> int:
        """The status of a page that shows the form again after a refusal."""
        return 200 if self.ok else self.error.status if self.error.status != 400 else 422


def perform(operation: Callable, *args, **kwargs) -> Outcome:
    """Run one service operation as one transaction. A domain error rolls everything
    back and is flashed for the page that shows the form again. What the operation asked to
    happen after its commit (room broadcasts, mail: ``database.on_commit``) happens then."""
    try:
        with unit_of_work():
            value = operation(*args, **kwargs)
    except DomainError as error:
        flash(error.message, "error")
        return Outcome(False, error=error)
    return Outcome(True, value)


def run_due(operation: Callable, *args, **kwargs) -> bool:
    """Run due work on access (a ballot whose time has come, minutes whose publicity
    ended) as its own transaction, once the page has checked that the viewer may see what
    it concerns. Nothing of it is flashed: a refusal is not the viewer's, and the server's
    loop is where due work belongs; it is logged and the page goes on."""
    try:
        with unit_of_work():
            operation(*args, **kwargs)
    except DomainError as error:
        log.warning("due work %s refused: %s", getattr(operation, "__name__", operation), error.message)
        return False
    return True


def confirm_first(*, question, consequence, back: str, reason_label=None, reason_required: bool = False,
                  error=None):
    """An action that cannot be undone asks first. A POST without ``confirmed`` gets a page
    that says what cannot be undone, with a button that posts the same form again, and,
    where the action needs one, a reason; then this returns None and the action goes on.
    Works without JavaScript: the question is a page, not a dialog."""
    if request.form.get("confirmed") == "1" and error is None:
        return None
    kept = {k: v for k, v in request.form.items() if k not in ("csrf_token", "confirmed", "reason")}
    return render_template("confirm.html", question=question, consequence=consequence, back=back,
                           reason_label=reason_label, reason_required=reason_required, kept=kept,
                           reason=request.form.get("reason", ""), error=error), 422 if error else 200


def form_action(target, form, operation: Callable, back: str, done: Callable[[Any], Any] | None = None):
    """A button's POST on a record's page: check the form, run ``operation(target, form)``
    as one transaction, say how it went and go back to the page. ``done(value)`` words
    what happened and what comes next, from what the operation returned (after commit)."""
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(back), 303
    outcome = perform(operation, target, form)
    if outcome.ok:
        flash(done(outcome.value) if done else _l("Saved."), "success")
    return redirect(back)


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


ERROR_TITLES = {
    400: _l("This request could not be understood"),
    403: _l("You are not allowed to see this page"),
    404: _l("This page does not exist"),
    405: _l("This action is not available here"),
    413: _l("The file is too large"),
    422: _l("Some of what you entered is not valid"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("This service is not available right now"),
}


# Transports that answer errors in their own format, by path prefix (the JSON API's problems).
ERROR_RENDERERS: dict[str, Callable] = {}


def render_error(status: int, message=None, code: str | None = None):
    for prefix, renderer in ERROR_RENDERERS.items():
        if request.path.startswith(prefix):
            return renderer(status, message, code)
    if wants_json():
        body = {"error": {"code": code or f"http_{status}",
                          "message": str(message or ERROR_TITLES.get(status, ""))}}
        return jsonify(body), status
    return render_template("errors/error.html", status=status,
                           title=ERROR_TITLES.get(status, ERROR_TITLES[500]),
                           message=message), status


def load(model, record_id, may: Callable | None = None, *, refuse: int = 404):
    """The record a page is about, checked before anything is done with it: 404 when it
    does not exist; when the current viewer ``may`` not (``permissions.can_…(user,
    record)``), ``refuse`` — 404 where a record the viewer may not read is not even said
    to exist, 403 where its existence is no secret (a page to add something to a place
    one reads)."""
    if isinstance(record_id, int) and not 0 < record_id < 2 ** 31:
        abort(404)   # no row has such an id (ids are 32-bit), and the database would refuse to look
    record = db.session.get(model, record_id) if record_id is not None else None
    if record is None:
        abort(404)
    if may is not None and not may(current_user, record):
        abort(refuse)
    return record


def readable_place(place_id: int):
    """The place, for a page about it: 404 when it does not exist or the current viewer
    does not read it (``permissions.can_view_place``), so that neither is told apart."""
    from .places.models import Place

    return load(Place, place_id, permissions.can_view_place)


def safe_next(target: str | None) -> str:
    """Where to go after a form that says where it came from: only paths on this site,
    never another host."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.index")


def person_name(person: User | None, place=None) -> str:
    """A person's name as the current viewer may read it (``privacy.shown_name``)."""
    return shown_name(person, place, current_user)


def person_phone(person: User | None, place=None) -> str:
    return shown_phone(person, place, current_user)


def free_text(text: str | None, place=None, author: User | None = None) -> str:
    """Free text, in full if the current viewer may read it so (``privacy.reveal_text``);
    the page masks the numbers in anything else."""
    return reveal_text(text, place, author, current_user)


@lru_cache(maxsize=2048)
def _day(day: date, fmt: str, locale) -> str:
    return format_date(day, fmt, rebase=False) if locale is None else babel_dates.format_date(day, fmt, locale=locale)


def format_day(value, fmt: str = "medium") -> str:
    """``|date``: the day of a time, in the reader's time zone and language. A list shows
    many times of the same few days: each day is written once per language."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    return _day(value, fmt, get_locale())


def _is_responder(user) -> bool:
    """A member of an organisation: the property company's staff, a department's."""
    from .accounts.models import OrganisationMember

    return db.session.scalar(db.select(OrganisationMember.id).where(OrganisationMember.user_id == user.id)
                             .limit(1)) is not None


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        return render_error(error.status, error.message, error.code)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400, _l("The form had expired or was sent from elsewhere. Please go back, reload the page and try again."),
            "csrf_failed")

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # A Host not in TRUSTED_HOSTS: no page can be built for it (no URLs), so plain text.
        return app.response_class("400 Bad Request: this host is not served here.\n", 400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_error(error.code or 500, None, f"http_{error.code}")

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unreachable(error):
        """The database is restarting or out of reach: say so, and let the pool's
        pre-ping reconnect by itself on a later request."""
        db.session.rollback()
        # The page is drawn as for a visitor: loading the signed-in user needs the database.
        g._login_user = login_manager.anonymous_user()
        app.logger.warning("database unreachable: %s", type(error.orig).__name__ if error.orig else error)
        response = render_error(503, _l("The service is briefly unavailable. Please try again in a minute."),
                                "database_unavailable")
        response = app.make_response(response)
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_error(500)

    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["deadline"] = format_deadline
    app.jinja_env.filters["date"] = format_day
    app.jinja_env.filters["markdown"] = lambda text: render_markdown(mask_personal_numbers(text or ""))
    # A flash answers the person who acted, often quoting what they typed (a number that
    # is nobody's): it is theirs to read in full, as plain text.
    app.jinja_env.filters["own_words"] = lambda message: Revealed(str(message))
    # Every value a page prints has its mobile and ID-card numbers masked unless it is
    # ``Revealed`` to this viewer; markup built by the app (forms, Markdown) is left alone.
    app.jinja_env.finalize = lambda value: mask_personal_numbers(value) \
        if isinstance(value, str) and not hasattr(value, "__html__") else value
    app.jinja_env.filters["percent"] = lambda value: "—" if value is None else format_percent(value, "#,##0.0%")
    app.jinja_env.filters["listed"] = listed   # 、 or , as the reader writes lists
    app.jinja_env.filters["hours"] = lambda value: "—" if value is None else format_decimal(round(value, 1))
    # Data embedded in a page goes through ``|tojson``, which escapes <, >, & and ' so that
    # no text can end its <script> block; the keys keep their order (a ballot's choices).
    app.jinja_env.policies["json.dumps_kwargs"] = {"sort_keys": False}

    @app.context_processor
    def helpers():
        from .notifications.service import unread_count

        return {
            "unread_messages": unread_count(current_user) if current_user.is_authenticated else 0,
            "is_responder": current_user.is_authenticated and _is_responder(current_user),
            "permissions": permissions,
            "person_name": person_name,
            "person_phone": person_phone,
            "free_text": free_text,
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
        }
