"""The administrators' webhook page: register an endpoint (its secret shown once), see its
deliveries with their state, attempts and last answer, send one again, revoke it."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import permissions
from ..accounts.models import Role
from ..forms import ConfirmForm
from ..places import service as places
from ..web import load, perform
from . import service
from .forms import EndpointForm
from .models import EVENT_KINDS, WebhookDelivery, WebhookEndpoint

bp = Blueprint("webhooks", __name__)

KIND_LABELS = {
    "proposal.raised": _l("a matter is raised"),
    "motion.assigned": _l("a motion is assigned"),
    "motion.acknowledged": _l("a motion is acknowledged"),
    "motion.completed": _l("a motion is completed"),
    "motion.rated": _l("a motion is rated"),
    "ballot.closed": _l("a ballot is closed (owners' decisions: the final result)"),
    "minutes.published": _l("minutes are published"),
    "work_order.updated": _l("a 12345 work order is accepted, answered or completed"),
}


def _administered_places():
    if permissions.is_global_administrator(current_user):
        return places.roots()
    return [g.place for g in current_user.grants if g.role is Role.administrator and g.place is not None]


def _may_manage(user, endpoint: WebhookEndpoint) -> bool:
    return permissions.can_register_api_client(user, endpoint.place)


@bp.route("/admin/webhooks", methods=["GET", "POST"])
@login_required
def endpoints():
    where = _administered_places()
    if not where:
        abort(403)
    form = EndpointForm()
    form.place.choices = [(p.id, p.name) for p in where]
    form.kinds.choices = [(k, f"{k}: {KIND_LABELS[k]}") for k in EVENT_KINDS]
    status = 200
    if form.validate_on_submit():
        place = next(p for p in where if p.id == form.place.data)
        outcome = perform(service.register_endpoint, place, actor=current_user._get_current_object(),
                          url=form.url.data, kinds=form.kinds.data)
        if outcome.ok:
            endpoint, secret = outcome.value
            response = make_response(render_template("webhooks/created.html", endpoint=endpoint, secret=secret))
            response.headers["Cache-Control"] = "no-store"
            return response
        status = outcome.status
    elif form.is_submitted():
        status = 422
    shown = service.endpoints_for(current_user)
    return render_template("webhooks/endpoints.html", form=form, endpoints=shown, confirm=ConfirmForm(),
                           deliveries={e.id: service.deliveries_of(e) for e in shown}), status


@bp.post("/admin/webhooks/<int:endpoint_id>/revoke")
@login_required
def revoke(endpoint_id: int):
    ConfirmForm().validate_on_submit() or abort(400)
    endpoint = load(WebhookEndpoint, endpoint_id, _may_manage)
    if perform(service.revoke_endpoint, endpoint, actor=current_user).ok:
        flash(_("The endpoint is revoked: nothing more is sent to it."), "success")
    return redirect(url_for("webhooks.endpoints"))


@bp.post("/admin/webhooks/deliveries/<int:delivery_id>/send-again")
@login_required
def send_again(delivery_id: int):
    ConfirmForm().validate_on_submit() or abort(400)
    delivery = load(WebhookDelivery, delivery_id, lambda user, d: _may_manage(user, d.endpoint))
    if perform(service.send_again, delivery, actor=current_user).ok:
        flash(_("The delivery is sent again within a minute."), "success")
    return redirect(url_for("webhooks.endpoints"))
