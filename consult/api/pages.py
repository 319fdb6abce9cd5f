"""The pages around the API: a person's tokens on their account page, the app clients an
administrator registers. Routes of the API's blueprint, but pages (session, CSRF) and not
part of the API's document."""
from __future__ import annotations

from flask import Blueprint as FlaskBlueprint
from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import permissions
from ..accounts import service as accounts
from ..accounts.models import Role
from ..errors import InvalidInput
from ..forms import ConfirmForm
from ..places import service as places
from ..web import load, perform
from . import service
from .forms import ClientForm, TokenForm
from .http import bp
from .models import SCOPES, ApiClient, ApiToken

SCOPE_LABELS = {
    "read": _l("read what the account may read"),
    "proposals": _l("raise, co-sign and comment on matters"),
    "ballots": _l("vote"),
    "meetings": _l("answer invitations"),
    "motions": _l("work on motions and rate them"),
    "notifications": _l("read and mark messages"),
    "work_orders": _l("send 12345 work orders (the account must moderate the places)"),
}


def _page(rule: str, endpoint: str, methods=("GET",)):
    """A page on the API's blueprint, outside the OpenAPI document."""
    def register(view):
        FlaskBlueprint.add_url_rule(bp, rule, endpoint, view, methods=list(methods))
        return view
    return register


def _shown_once(template: str, **context):
    """A page with a secret on it: kept by no cache, reached by a POST, shown this once."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


@_page("/account/api-tokens", "tokens", methods=("GET", "POST"))
@login_required
def tokens():
    form = TokenForm()
    status = 200
    if form.validate_on_submit():
        outcome = perform(service.create_personal_token, actor=current_user._get_current_object(),
                          name=form.name.data, days=form.days.data)
        if outcome.ok:
            made, secret = outcome.value
            return _shown_once("api/token_created.html", token=made, secret=secret)
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("api/tokens.html", form=form, tokens=service.personal_tokens(current_user),
                           confirm=ConfirmForm()), status


@_page("/account/api-tokens/<int:token_id>/revoke", "revoke_token", methods=("POST",))
@login_required
def revoke_token(token_id: int):
    ConfirmForm().validate_on_submit() or abort(400)
    token = load(ApiToken, token_id, permissions.can_revoke_api_token)
    if perform(service.revoke_token, token, actor=current_user).ok:
        flash(_("The token is revoked: it stops working at once."), "success")
    return redirect(url_for("api.tokens") if token.client_id is None else url_for("api.clients"))


def _administered_places():
    """The places an administrator may register applications for."""
    if permissions.is_global_administrator(current_user):
        return places.roots()
    return [g.place for g in current_user.grants if g.role is Role.administrator and g.place is not None]


@_page("/admin/api-clients", "clients", methods=("GET", "POST"))
@login_required
def clients():
    where = _administered_places()
    if not where:
        abort(403)
    form = ClientForm()
    form.places.choices = [(p.id, p.name) for p in where]
    form.scopes.choices = [(s, f"{s}: {SCOPE_LABELS[s]}") for s in SCOPES]
    status = 200
    if form.validate_on_submit():
        def register():
            user = accounts.find_by_login(form.account.data)
            if user is None:
                raise InvalidInput(_("Nobody with this phone number or username is registered."))
            return service.register_client(actor=current_user, name=form.name.data, user=user,
                                           place_ids=form.places.data, scopes=form.scopes.data)
        outcome = perform(register)
        if outcome.ok:
            client, secret = outcome.value
            return _shown_once("api/client_created.html", client=client, secret=secret)
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("api/clients.html", form=form, clients=service.clients_for(current_user),
                           confirm=ConfirmForm(), place_names=lambda c: ", ".join(
                               p.name for p in service.client_places(c))), status


@_page("/admin/api-clients/<int:client_id>/revoke", "revoke_client", methods=("POST",))
@login_required
def revoke_client(client_id: int):
    ConfirmForm().validate_on_submit() or abort(400)
    client = load(ApiClient, client_id, lambda user, c: any(
        permissions.can_register_api_client(user, p) for p in service.client_places(c)))
    if perform(service.revoke_client, client, actor=current_user).ok:
        flash(_("The application is revoked: its tokens stop working at once."), "success")
    return redirect(url_for("api.clients"))
