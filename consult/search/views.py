"""The search page of a place, and ``flask --app consult search-reindex``."""
from __future__ import annotations

from datetime import date
from typing import Optional

import click
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import permissions
from ..database import unit_of_work
from ..errors import InvalidInput
from ..places.models import Place
from ..proposals.models import TIER_ORDER
from ..web import load
from . import index, service

bp = Blueprint("search", __name__, cli_group=None)


def _day(value: str) -> Optional[date]:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_l("Write dates as 2024-03-15.")) from None


@bp.get("/places/<int:place_id>/search")
@login_required
def place_search(place_id: int):
    place = load(Place, place_id, permissions.can_view_place, refuse=403)
    args = {name: request.args.get(name, "") for name in ("q", "kind", "tier", "start", "end")}
    results, error, status = service.Results(query=args["q"].strip()), None, 200
    try:
        results = service.search(place, args["q"], viewer=current_user, kinds=[args["kind"]] if args["kind"] else [],
                                 tier=args["tier"] or None, start=_day(args["start"]), end=_day(args["end"]),
                                 page=request.args.get("page", 1, type=int))
    except InvalidInput as refused:
        error, status = refused.message, refused.status
    return render_template("search/results.html", place=place, results=results, error=error, filters=args,
                           kinds=index.kinds(), tiers=TIER_ORDER,
                           filtered=any(args[name] for name in ("kind", "tier", "start", "end"))), status


@bp.get("/search")
@login_required
def search_box():
    """The header's search box: the search page of the reader's own scope."""
    place = service.scope_for(current_user) or abort(404)
    return redirect(url_for("search.place_search", place_id=place.id, q=request.args.get("q", "")))


@bp.cli.command("search-reindex")
@click.option("--batch", default=500, show_default=True, help="Records read at a time.")
def reindex_command(batch: int):
    """Rebuild the search index from every searchable record (after a restore or a bulk load)."""
    with unit_of_work():
        counts = index.reindex(batch=batch)
    for kind, count in counts.items():
        click.echo(f"{kind}: {count}")
    click.echo(f"{sum(counts.values())} documents indexed.")
