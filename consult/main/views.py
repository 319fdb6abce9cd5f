"""Home page, language choice and health checks."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session
from flask_login import current_user
from sqlalchemy import text

from .. import permissions
from ..accounts import service as accounts
from ..database import unit_of_work
from ..extensions import db
from ..places import service as places
from ..web import perform, safe_next
from . import agenda

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    if elders_mode() and not request.args.get("all"):
        return render_template("main/elders.html", tiles=agenda.tiles_for(current_user))
    grants = sorted(current_user.grants, key=lambda g: (g.role.value, g.place_id or 0))
    roots = places.roots() if permissions.is_global_administrator(current_user) else []
    needs = agenda.needs_for(current_user, triage_days=current_app.config["TRIAGE_DAYS"])
    return render_template("main/home.html", memberships=current_user.memberships,
                           grants=grants, roots=roots, needs=needs)


@bp.post("/language")
def set_language():
    locale = request.form.get("locale", "")
    languages = current_app.config["LANGUAGES"]
    if locale in languages:
        session["locale"] = locale
        if current_user.is_authenticated:
            with unit_of_work():
                accounts.set_locale(current_user, locale, languages)
    return redirect(safe_next(request.form.get("next")))


@bp.post("/elders")
def set_elders_mode():
    """The switch in the header: 长辈模式 on or off, remembered on the account (for a
    visitor, in this browser)."""
    on = request.form.get("on") == "1"
    session["elders"] = on
    if current_user.is_authenticated:
        perform(accounts.set_elders_mode, current_user, on, actor=current_user)
    return redirect(safe_next(request.form.get("next")))


def elders_mode() -> bool:
    """Whether the pages are drawn for elders: the account's choice, or this browser's."""
    if current_user.is_authenticated:
        return bool(current_user.elders_mode)
    return bool(session.get("elders"))


@bp.app_context_processor
def _elders():
    return {"elders_mode": elders_mode()}


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready when the database, and the message queue if one is configured, answer."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 — any failure means not ready
        db.session.rollback()
        checks["database"] = "unreachable"
    queue = current_app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if queue:
        try:
            import redis

            redis.Redis.from_url(queue, socket_connect_timeout=2, socket_timeout=2).ping()
            checks["message_queue"] = "ok"
        except Exception:  # noqa: BLE001
            checks["message_queue"] = "unreachable"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503
