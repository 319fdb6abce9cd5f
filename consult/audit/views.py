"""The audit log of a place, for its administrators."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required

from .. import permissions
from ..extensions import db
from ..places.models import Place
from . import service as audit

bp = Blueprint("audit", __name__)


@bp.get("/places/<int:place_id>/audit")
@login_required
def place_log(place_id: int):
    place = db.session.get(Place, place_id) or abort(404)
    if not permissions.can_view_audit(current_user, place):
        abort(403)
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = current_app.config["PAGE_SIZE"]
    entries, total = audit.entries_for(place, page=page, per_page=per_page)
    return render_template("audit/log.html", place=place, entries=entries, page=page,
                           pages=max((total + per_page - 1) // per_page, 1), total=total)
