"""Sign-in, registration, the own account, and the administration of people."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, or_, select

from .. import permissions
from ..clock import utcnow
from ..database import in_unit_of_work, unit_of_work
from ..extensions import db, login_manager
from ..places.models import Household, HouseholdMember, Place, Relation
from ..forms import ConfirmForm
from ..web import load, perform, person_name, safe_next
from . import consent, personal_data
from . import service as accounts
from .forms import (
    ActiveForm,
    ChangePasswordForm,
    ConsentForm,
    CreateAccountForm,
    DeleteAccountForm,
    EmailForm,
    LoginForm,
    PersonForm,
    PrivacyNoticeForm,
    RegisterForm,
)
from .models import RoleGrant, SignIn, User

bp = Blueprint("accounts", __name__)


def _start_session(sign_in: SignIn) -> None:
    """A new session at every sign-in: nothing from before it (but the language) survives,
    so a session id planted before sign-in is worthless. The session names the sign-in
    record, which the server can end."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(sign_in.user)
    session["login_id"] = sign_in.token   # also names this sign-in's live connections
    session.permanent = False


def _client_address() -> str:
    return request.remote_addr or "unknown"


@login_manager.user_loader
def load_signed_in_user(user_id: str):
    """Flask-Login's user loader, for pages and live connections alike: the user only
    while the sign-in the session names is live. Notes the device as seen, at most once a
    minute (in the action's own transaction if one runs, else in a short one; the room's
    batched casts note it in their batch, ``accounts.seen_all``)."""
    sign_in = accounts.live_sign_in(user_id, session.get("login_id"), config=current_app.config)
    if sign_in is None:
        return None
    g.consult_sign_in = sign_in
    if utcnow() - sign_in.last_seen_at >= accounts.SEEN_EVERY:
        if in_unit_of_work():
            accounts.seen(sign_in)
        else:
            with unit_of_work():
                accounts.seen(sign_in)
    return sign_in.user


def current_sign_in() -> SignIn | None:
    if not current_user.is_authenticated:
        return None
    return g.get("consult_sign_in")


def _ending(operation, *args, **kwargs):
    """Run a service call that ends sign-ins and close their live connections, as one
    transaction."""
    from ..meetings import live

    def run():
        tokens = operation(*args, **kwargs)
        for token in tokens:
            live.sign_out(token)
        return tokens
    return perform(run)


def _forget_session() -> None:
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        outcome = perform(accounts.sign_in, form.identifier.data, form.password.data,
                          address=_client_address(), user_agent=request.headers.get("User-Agent"),
                          config=current_app.config)
        if outcome.ok:
            sign_in = outcome.value
            _start_session(sign_in)
            if sign_in.user.locale:
                session["locale"] = sign_in.user.locale
            return redirect(safe_next(request.args.get("next")))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    ConfirmForm().validate_on_submit() or abort(400)
    sign_in = current_sign_in()
    if sign_in is not None:
        _ending(accounts.end_sign_in, sign_in, actor=current_user)
    _forget_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    version, notice = consent.current_notice()
    form = RegisterForm(code=request.args.get("code", ""))
    status = 200
    if form.validate_on_submit():
        outcome = perform(accounts.register_and_sign_in, form.code.data, name=form.name.data,
                          phone=form.phone.data, password=form.password.data,
                          relation=Relation(form.relation.data), address=_client_address(),
                          consent_version=_version(form.notice_version.data),
                          user_agent=request.headers.get("User-Agent"), config=current_app.config)
        if outcome.ok:
            _start_session(outcome.value)
            flash(_("Welcome! You are registered as a member of your household."), "success")
            return redirect(url_for("main.index"))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    form.notice_version.data = version   # the version shown is the version agreed to
    return render_template("accounts/register.html", form=form, notice=notice), status


def _version(text) -> int:
    return int(text) if str(text or "").isdigit() else -1


# --- the privacy notice and consent ---------------------------------------------------------

# What a person who has not agreed to the newest notice may still do: read and agree to it,
# sign out, take their data with them or delete their account.
WITHOUT_CONSENT = {"accounts.consent", "accounts.logout", "accounts.end_sign_in", "accounts.end_all_sign_ins",
                   "accounts.my_data", "accounts.my_data_json", "accounts.delete_account",
                   "main.set_language", "main.healthz", "main.readyz", "static"}


@bp.before_app_request
def ask_for_consent():
    if request.endpoint is None or request.endpoint in WITHOUT_CONSENT:
        return None
    if current_user.is_authenticated and consent.needs_consent(current_user):
        return redirect(url_for("accounts.consent", next=request.full_path.rstrip("?") if request.method == "GET" else None))
    return None


@bp.route("/consent", methods=["GET", "POST"], endpoint="consent")
@login_required
def consent_page():
    version, notice = consent.current_notice()
    form = ConsentForm()
    if form.validate_on_submit():
        if perform(consent.record_consent, current_user._get_current_object(), _version(form.notice_version.data)).ok:
            return redirect(safe_next(request.args.get("next")))
    form.notice_version.data = version
    return render_template("accounts/consent.html", form=form, notice=notice, version=version,
                           pending=consent.needs_consent(current_user))


@bp.route("/admin/privacy-notice", methods=["GET", "POST"])
@login_required
def privacy_notice():
    if not permissions.is_global_administrator(current_user):
        abort(403)
    latest = consent.latest_notice()
    version, text = consent.current_notice()
    form = PrivacyNoticeForm(body=text)
    status = 200
    if form.validate_on_submit():
        outcome = perform(consent.publish_notice, form.body.data, actor=current_user)
        if outcome.ok:
            flash(_("Version %(n)d of the notice is published.", n=outcome.value.version), "success")
            return redirect(url_for("accounts.privacy_notice"))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("accounts/privacy_notice.html", form=form, latest=latest, version=version), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = EmailForm(obj=current_user)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and perform(accounts.set_email, current_user, form.email.data).ok:
            flash(_("Your e-mail address is saved: messages will also be sent there.") if current_user.email
                  else _("Your e-mail address is removed: messages reach you in the app only."), "success")
            return redirect(url_for("accounts.account"))
        status = 422
    return render_template("accounts/account.html", person=current_user, email_form=form,
                           sign_ins=accounts.live_sign_ins(current_user, config=current_app.config),
                           this_sign_in=current_sign_in()), status


@bp.post("/account/sign-ins/<int:sign_in_id>/end")
@login_required
def end_sign_in(sign_in_id: int):
    ConfirmForm().validate_on_submit() or abort(400)
    sign_in = db.session.get(SignIn, sign_in_id)
    if sign_in is None or sign_in.user_id != current_user.id:
        abort(404)
    this = current_sign_in()
    if _ending(accounts.end_sign_in, sign_in, actor=current_user).ok:
        if this is not None and this.id == sign_in.id:
            _forget_session()
            flash(_("You have signed out."), "info")
            return redirect(url_for("main.index"))
        flash(_("That device has been signed out."), "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/sign-ins/end-all")
@login_required
def end_all_sign_ins():
    ConfirmForm().validate_on_submit() or abort(400)
    if _ending(accounts.end_all_sign_ins, current_user._get_current_object(), actor=current_user).ok:
        _forget_session()
        flash(_("You have been signed out on every device."), "info")
        return redirect(url_for("accounts.login"))
    return redirect(url_for("accounts.account"))


def _readable(value) -> str:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return format_datetime(value, "short")
    return str(value)


@bp.get("/account/data")
@login_required
def my_data():
    return render_template("accounts/my_data.html", data=personal_data.export_for(current_user),
                           sections=personal_data.SECTIONS, fields=personal_data.FIELDS, readable=_readable)


@bp.get("/account/data.json")
@login_required
def my_data_json():
    body = personal_data.as_json(personal_data.export_for(current_user))
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["Content-Disposition"] = "attachment; filename=my-data.json"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    status = 200
    if form.validate_on_submit():
        outcome = _ending(personal_data.delete_account, current_user._get_current_object(), form.password.data,
                          actor=current_user)
        if outcome.ok:
            _forget_session()
            flash(_("Your account has been deleted."), "info")
            return redirect(url_for("main.index"))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("accounts/delete.html", form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        outcome = _ending(accounts.change_password, current_user._get_current_object(), form.current.data,
                          form.password.data, keep=current_sign_in())
        if outcome.ok:
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(url_for("accounts.account"))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("accounts/password.html", form=form), status


# --- administration of people -------------------------------------------------------------

def _people_in_scope(query_text: str, page: int, per_page: int):
    """The people an administrator may see: everyone for an installation-wide one, else
    those with a household or a role in the places they administer."""
    query = select(User)
    if not permissions.is_global_administrator(current_user):
        paths = [g.place.path for g in current_user.grants
                 if g.role.value == "administrator" and g.place is not None]
        if not paths:
            abort(403)
        in_place = or_(*[Place.path.startswith(p, autoescape=True) for p in paths])
        members = (select(HouseholdMember.user_id).join(Household).join(Place).where(in_place))
        granted = select(RoleGrant.user_id).join(Place, RoleGrant.place_id == Place.id).where(in_place)
        query = query.where(or_(User.id.in_(members), User.id.in_(granted)))
    if query_text:
        like = f"%{query_text}%"
        query = query.where(or_(User.name.like(like), User.phone.like(like), User.username.like(like)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    people = db.session.scalars(query.order_by(User.name).offset((page - 1) * per_page).limit(per_page)).all()
    return people, total


@bp.get("/admin/people")
@login_required
def people():
    if not permissions.can_manage_accounts(current_user):
        abort(403)
    q = request.args.get("q", "").strip()[:50]
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = current_app.config["PAGE_SIZE"]
    found, total = _people_in_scope(q, page, per_page)
    return render_template("accounts/people.html", people=found, total=total, q=q, page=page,
                           pages=max((total + per_page - 1) // per_page, 1))


@bp.route("/admin/people/new", methods=["GET", "POST"])
@login_required
def new_person():
    if not permissions.can_manage_accounts(current_user):
        abort(403)
    form = CreateAccountForm(household_id=request.args.get("household", ""))
    status = 200
    if form.validate_on_submit():
        household = None
        if form.household_id.data:
            if not form.household_id.data.strip().isdigit():
                abort(404)
            household = db.session.get(Household, int(form.household_id.data))
            if household is None:
                abort(404)
        outcome = perform(accounts.create_account, actor=current_user, name=form.name.data,
                          phone=form.phone.data, username=form.username.data,
                          password=form.password.data, household=household,
                          relation=Relation(form.relation.data))
        if outcome.ok:
            person, generated = outcome.value
            if generated:
                flash(_("Account created. Its password is %(password)s — hand it over now; it is not shown again.",
                        password=generated), "success")
            else:
                flash(_("Account created."), "success")
            return redirect(url_for("accounts.person", user_id=person.id))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("accounts/new_person.html", form=form), status


def _load_person(user_id: int) -> User:
    person = load(User, user_id, permissions.can_view_person, refuse=403)
    return person


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@login_required
def person(user_id: int):
    person = _load_person(user_id)
    manage = permissions.is_administrator(current_user)
    form = PersonForm(obj=person)
    status = 200
    if request.method == "POST":
        if not manage:
            abort(403)
        if form.validate_on_submit():
            outcome = perform(accounts.update_person, person, actor=current_user, name=form.name.data,
                              phone=form.phone.data, username=form.username.data)
            if outcome.ok:
                flash(_("The account is changed; the person signs in with the new phone number or username."),
                      "success")
                return redirect(url_for("accounts.person", user_id=person.id))
            status = outcome.status
        else:
            status = 422
    return render_template("accounts/person.html", person=person, form=form, manage=manage), status


@bp.post("/people/<int:user_id>/active")
@login_required
def set_active(user_id: int):
    person = _load_person(user_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = perform(accounts.set_active, person, bool(form.active.data), actor=current_user)
    if outcome.ok:
        flash(_("The account is active again: the person can sign in.") if form.active.data
              else _("The account is blocked: the person can no longer sign in, and their devices are signed out."),
              "success")
    return redirect(url_for("accounts.person", user_id=person.id))


@bp.post("/grants/<int:grant_id>/revoke")
@login_required
def revoke_grant(grant_id: int):
    grant = load(RoleGrant, grant_id)
    ConfirmForm().validate_on_submit() or abort(400)
    back = request.form.get("next")
    outcome = perform(accounts.revoke_grant, grant, actor=current_user)
    if outcome.ok:
        flash(_("The role has been revoked."), "success")
    elif outcome.error.status == 403:
        abort(403)
    return redirect(safe_next(back))


@bp.post("/people/<int:user_id>/elders")
@login_required
def elders_mode(user_id: int):
    """长辈模式 set for a resident by the grid worker who serves their household."""
    person = load(User, user_id, permissions.can_set_elders_mode)
    on = request.form.get("on") == "1"
    if perform(accounts.set_elders_mode, person, on, actor=current_user).ok:
        name = person_name(person, person.households[0].place if person.households else None)
        flash(_("Elders' mode is on for %(name)s: larger type and four big buttons at home.", name=name) if on
              else _("Elders' mode is off for %(name)s.", name=name), "success")
    return redirect(safe_next(request.form.get("next")))
