from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..forms import ConfirmForm
from ..web import perform
from . import service as notifications

bp = Blueprint("notifications", __name__)


@bp.get("/inbox")
@login_required
def inbox():
    return render_template("notifications/inbox.html", items=notifications.inbox(current_user), confirm=ConfirmForm())


@bp.post("/inbox/read")
@login_required
def mark_read():
    ConfirmForm().validate_on_submit() or abort(400)
    perform(notifications.mark_all_read, current_user)
    return redirect(url_for("notifications.inbox"))
