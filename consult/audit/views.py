"""The audit log of a place, for its administrators."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import login_required

from .. import permissions
from ..places.models import Place
from ..web import load
from . import service as audit

bp = Blueprint("audit", __name__)


@bp.get("/places/<int:place_id>/audit")
@login_required
def place_log(place_id: int):
    place = load(Place, place_id, permissions.can_view_audit, refuse=403)
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = current_app.config["PAGE_SIZE"]
    entries, total = audit.entries_for(place, page=page, per_page=per_page)
    return render_template("audit/log.html", place=place, entries=entries, page=page,
                           pages=max((total + per_page - 1) // per_page, 1), total=total)
