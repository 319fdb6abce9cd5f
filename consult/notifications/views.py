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


# ---------------------------------------------------------------- what people choose

from flask import current_app, flash, request  # noqa: E402
from flask_babel import gettext as _  # noqa: E402
from flask_babel import lazy_gettext as _l  # noqa: E402
from flask_wtf import FlaskForm  # noqa: E402
from wtforms import BooleanField, StringField  # noqa: E402
from wtforms.validators import DataRequired, Length, Optional  # noqa: E402

from . import outbox, preferences, wechat_link  # noqa: E402
from .channels import enabled as channel_enabled  # noqa: E402


class ChoicesForm(FlaskForm):
    quiet_start = StringField(_l("Quiet from"), validators=[Optional(), Length(max=5)],
                              description=_l("No SMS, WeChat messages or browser notifications in these hours "
                                                          "(e.g. 22:00 to 08:00), except urgent ones."))
    quiet_end = StringField(_l("Quiet until"), validators=[Optional(), Length(max=5)])
    digest = BooleanField(_l("One message a day with everything instead of single messages"),
                          description=_l("Urgent messages (a meeting cancelled or moved) still come at once."))


class NumberForm(FlaskForm):
    number = StringField(_l("Mobile number for SMS"), validators=[DataRequired(), Length(max=20)],
                         description=_l("A code is sent to it; SMS go there once you have typed it here."))


class CodeForm(FlaskForm):
    code = StringField(_l("Code from the SMS"), validators=[DataRequired(), Length(max=10)])


def _page(choices=None, number=None, code=None, status=200):
    setting = preferences.setting_of(current_user)
    quiet = outbox.quiet_hours(setting)
    wechat_qr = None
    if channel_enabled("wechat", current_app.config):
        link = wechat_link.qr_url(current_user)
        wechat_qr = {"url": link, "image": wechat_link.qr_image(link)}
    choices = choices or ChoicesForm(data={"quiet_start": setting.quiet_start if setting else "",
                                           "quiet_end": setting.quiet_end if setting else "",
                                           "digest": bool(setting and setting.digest)})
    return render_template(
        "notifications/preferences.html", choices=choices, number_form=number or NumberForm(),
        code_form=code or CodeForm(), chosen=preferences.chosen(current_user), groups=outbox.GROUPS,
        group_labels=preferences.GROUP_LABELS, channel_labels=preferences.CHANNEL_LABELS,
        overview=preferences.overview(current_user), setting=setting,
        default_quiet=current_app.config["QUIET_HOURS"], quiet=quiet,
        wechat_qr=wechat_qr, confirm=ConfirmForm()), status


@bp.route("/account/messages", methods=["GET", "POST"])
@login_required
def choices():
    form = ChoicesForm()
    if request.method == "POST":
        picked = {}
        for value in request.form.getlist("channel"):
            name, _sep, group = value.partition(":")
            picked.setdefault(name, []).append(group)
        if form.validate_on_submit() and perform(preferences.choose, current_user, picked, form.quiet_start.data,
                                                 form.quiet_end.data, actor=current_user,
                                                 digest=form.digest.data).ok:
            flash(_("Saved."), "success")
            return redirect(url_for("notifications.choices"))
        return _page(choices=form, status=422)
    return _page()


@bp.post("/account/messages/number")
@login_required
def ask_code():
    form = NumberForm()
    if form.validate_on_submit():
        outcome = perform(preferences.ask_code, current_user, form.number.data, actor=current_user)
        if outcome.ok:
            flash(_("A code was sent by SMS: type it below."), "success")
            return redirect(url_for("notifications.choices"))
        return _page(number=form, status=outcome.status)
    return _page(number=form, status=422)


@bp.post("/account/messages/code")
@login_required
def confirm_code():
    form = CodeForm()
    if form.validate_on_submit():
        outcome = perform(preferences.confirm_code, current_user, form.code.data, actor=current_user)
        if outcome.ok and outcome.value:
            flash(_("Your number is confirmed: SMS go there now."), "success")
            return redirect(url_for("notifications.choices"))
        if outcome.ok:
            flash(_("The code is wrong."), "error")
        return _page(code=form, status=outcome.status if not outcome.ok else 422)
    return _page(code=form, status=422)


@bp.post("/account/messages/number/remove")
@login_required
def remove_number():
    ConfirmForm().validate_on_submit() or abort(400)
    perform(preferences.remove_number, current_user, actor=current_user)
    return redirect(url_for("notifications.choices"))


@bp.get("/account/messages/wechat")
@login_required
def wechat_start():
    """To WeChat's authorisation page, from WeChat's own browser on a phone."""
    if not channel_enabled("wechat", current_app.config):
        abort(404)
    return redirect(wechat_link.start_url(current_user))


@bp.get("/account/messages/wechat/back")
def wechat_back():
    """WeChat sends the person back here with a code (and the state it was given)."""
    outcome = perform(wechat_link.finish, request.args.get("state", ""), request.args.get("code", ""),
                      current_user)
    if outcome.ok and outcome.value[1]:
        return render_template("notifications/wechat_linked.html")
    if outcome.ok:
        flash(_("Your WeChat is linked: the official account's messages reach you there."), "success")
    if current_user.is_authenticated:
        return redirect(url_for("notifications.choices"))
    return render_template("notifications/wechat_linked.html", failed=True), 400


@bp.post("/account/messages/wechat/remove")
@login_required
def wechat_unlink():
    ConfirmForm().validate_on_submit() or abort(400)
    perform(preferences.unlink_wechat, current_user, actor=current_user)
    flash(_("Your WeChat is no longer linked."), "success")
    return redirect(url_for("notifications.choices"))


@bp.app_context_processor
def _helpers():
    def delivery_counts(subject: str, subject_id: int):
        return outbox.counts_about(subject + ".", subject, subject_id)

    return {"message_channels": preferences.overview, "delivery_counts": delivery_counts,
            "channel_labels": preferences.CHANNEL_LABELS}


# ---------------------------------------------------------------- web push

from flask import jsonify, send_from_directory  # noqa: E402

from . import push  # noqa: E402


@bp.post("/account/push")
@login_required
def push_subscribe():
    """The browser's subscription, posted by static/js/push.js (JSON, with the CSRF header)."""
    outcome = perform(push.subscribe, current_user, request.get_json(silent=True) or {}, actor=current_user)
    if not outcome.ok:
        return jsonify(error={"code": outcome.error.code, "message": outcome.error.message}), outcome.error.status
    return jsonify(ok=True), 201


@bp.post("/account/push/remove")
@login_required
def push_unsubscribe():
    ConfirmForm().validate_on_submit() or abort(400)
    perform(push.unsubscribe_all, current_user, actor=current_user)
    return redirect(url_for("notifications.choices"))


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so that it may show every page's messages."""
    response = send_from_directory(current_app.static_folder, "js/sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    response = jsonify(name=_("Consult"), short_name=_("Consult"), start_url="/", display="standalone",
                       lang=current_app.config["BABEL_DEFAULT_LOCALE"].replace("_", "-"),
                       background_color="#ffffff", theme_color="#b22222")
    response.mimetype = "application/manifest+json"
    return response
