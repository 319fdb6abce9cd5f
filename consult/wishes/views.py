"""Wish pages: a place's wishes with the form to post one, a wish with its steps."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..web import confirm_first, perform, readable_place
from . import service as wishes
from .forms import NoteForm, WishForm
from .lifecycle import TRANSITIONS
from .models import Wish

bp = Blueprint("wishes", __name__)


def load_wish(wish_id: int) -> Wish:
    wish = db.session.get(Wish, wish_id)
    if wish is None or not wishes.can_view_wish(current_user, wish):
        abort(404)
    return wish


def _done(action: str) -> str:
    return {
        "claim": _("You have claimed this wish. Thank you for taking it up."),
        "release": _("The wish is open again for someone else."),
        "fulfil": _("Marked as fulfilled: the author will confirm."),
        "confirm": _("Thank you for confirming: your wish came true."),
        "reject": _("The wish goes back to the one who claimed it."),
        "withdraw": _("The wish has been withdrawn."),
    }[action]


@bp.route("/places/<int:place_id>/wishes", methods=["GET", "POST"])
@login_required
def index(place_id: int):
    place = readable_place(place_id)
    can_post = wishes.can_post_wish(current_user, place)
    form = WishForm()
    status = 200
    if request.method == "POST":
        if not can_post:
            abort(403)
        if form.validate_on_submit():
            outcome = perform(wishes.post_wish, place, actor=current_user, title=form.title.data, body=form.body.data)
            if outcome.ok:
                flash(_("Your wish has been posted. A neighbour or a partner of the community may take it up."),
                      "success")
                return redirect(url_for("wishes.detail", wish_id=outcome.value.id))
            status = outcome.status
        else:
            status = 422
    return render_template("wishes/index.html", place=place, form=form, can_post=can_post,
                           wishes=wishes.wishes_in(place, actor=current_user)), status


@bp.get("/wishes/<int:wish_id>")
@login_required
def detail(wish_id: int):
    wish = load_wish(wish_id)
    return render_template("wishes/detail.html", wish=wish, note_form=NoteForm(),
                           actions=wishes.available_actions(current_user, wish))


@bp.post("/wishes/<int:wish_id>/<any(claim, release, fulfil, confirm, reject, withdraw):action>")
@login_required
def change(wish_id: int, action: str):
    wish = load_wish(wish_id)
    if action not in TRANSITIONS:
        abort(404)
    back = url_for("wishes.detail", wish_id=wish.id)
    if action == "withdraw" and wishes.can_take(current_user, wish, action):
        asking = confirm_first(question=_("Withdraw this wish?"),
                               consequence=_("A withdrawn wish cannot be posted again; post a new one instead."),
                               back=back)
        if asking is not None:
            return asking
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    if perform(wishes.change_wish, wish, action, actor=current_user, note=form.note.data or "").ok:
        flash(_done(action), "success")
    return redirect(back)
