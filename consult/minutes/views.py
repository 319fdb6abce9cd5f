"""Minutes pages: reading, editing the draft, signing, remarks in the publicity period,
corrections with their differences, PDF and Markdown; and the place's archive."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import permissions
from ..accounts.models import User
from ..extensions import db
from ..i18n import format_deadline
from ..meetings.models import Meeting
from ..privacy import public_name
from ..web import confirm_first, form_action, load, person_name, run_due
from . import archive
from . import service as minutes_service
from .forms import EditForm, ReasonForm, RedraftForm, RemarkForm
from .models import Minutes, MinutesState, Remark, RemarkKind, StatementDetail

bp = Blueprint("minutes", __name__)


def _minutes(minutes_id: int) -> Minutes:
    minutes = load(Minutes, minutes_id, permissions.can_view_minutes)
    if minutes_service.is_archive_due(minutes):
        run_due(minutes_service.archive_if_due, minutes)   # the publicity period has ended
    return minutes


def _act(minutes_id: int, form_class, operation, done=None):
    minutes = _minutes(minutes_id)
    return form_action(minutes, form_class() if form_class else ReasonForm(), operation,
                       url_for("minutes.detail", minutes_id=minutes.id),
                       done=(lambda value: done(minutes)) if done else None)


def _sent(minutes: Minutes) -> str:
    return ngettext("Sent for signatures: %(num)d person is asked to sign. You will be told when all have signed.",
                    "Sent for signatures: %(num)d people are asked to sign. You will be told when all have signed.",
                    len(minutes.signers))


def _signed(minutes: Minutes) -> str:
    if minutes.latest.frozen:
        return _("Signed. Everyone has signed: the minutes are published for comments until %(date)s.",
                 date=format_deadline(minutes.publicity_ends_at))
    missing = minutes_service.signatures_missing(minutes)
    return ngettext("Signed. %(num)d more signature is needed: %(names)s.",
                    "Signed. %(num)d more signatures are needed: %(names)s.", len(missing),
                    names="、".join(f"{s.role.label} {person_name(s.user, minutes.place)}" for s in missing))


DONE = {
    "edit": lambda m: _("The draft is saved. When it is complete, send it for signatures."),
    "redraft": lambda m: _("The draft is written again from the meeting's record."),
    "representatives": lambda m: _("The representatives are chosen. They sign after you send the minutes for "
                                   "signatures."),
    "submit": _sent,
    "sign": _signed,
    "return": lambda m: _("The minutes are back with the recorder as a draft; the signatures given so far have "
                          "lapsed. The recorder has been told."),
    "correct": lambda m: _("A new version is opened for the correction. Edit it, then send it for signatures."),
    "remark": lambda m: _("Your remark is posted. The recorder answers it here."),
    "answer": lambda m: _("Your answer is posted under the remark; its author has been told."),
}


@bp.get("/meetings/<int:meeting_id>/minutes")
@login_required
def of_meeting(meeting_id: int):
    minutes = minutes_service.minutes_of(load(Meeting, meeting_id)) or abort(404)
    if not permissions.can_view_minutes(current_user, minutes):
        abort(404)
    return redirect(url_for("minutes.detail", minutes_id=minutes.id))


@bp.get("/minutes/<int:minutes_id>")
@login_required
def detail(minutes_id: int):
    minutes = _minutes(minutes_id)
    writer = permissions.can_write_minutes(current_user, minutes)
    signer = permissions.signs_minutes(current_user, minutes)
    latest, current = minutes.latest, minutes.current
    shown = latest if (writer or signer) and not latest.frozen else current
    edit_form = EditForm(title=latest.title, body=latest.body)
    signed_ids = {s.user_id for s in latest.signatures}
    return render_template(
        "minutes/detail.html", minutes=minutes, meeting=minutes.meeting, shown=shown, current=current,
        latest=latest, writer=writer, signer=signer, run=permissions.can_run_meeting(current_user, minutes.meeting),
        has_signed=current_user.id in signed_ids, signed_ids=signed_ids, edit_form=edit_form,
        redraft_form=RedraftForm(statements=minutes.statements.value), reason_form=ReasonForm(),
        remark_form=RemarkForm(), can_remark=permissions.can_remark_minutes(current_user, minutes),
        attendees=minutes_service.attendees(minutes) if writer and minutes.state is MinutesState.draft else [],
        open_objections=minutes_service.open_objections(minutes), verified=current and minutes_service.verify(current),
        MinutesState=MinutesState, public_name=public_name)


@bp.post("/minutes/<int:minutes_id>/edit")
@login_required
def edit(minutes_id: int):
    return _act(minutes_id, EditForm, lambda m, f: minutes_service.edit(m, actor=current_user, title=f.title.data,
                                                                        body=f.body.data), DONE["edit"])


@bp.post("/minutes/<int:minutes_id>/redraft")
@login_required
def redraft(minutes_id: int):
    return _act(minutes_id, RedraftForm, lambda m, f: minutes_service.redraft(
        m, actor=current_user, statements=StatementDetail(f.statements.data)), DONE["redraft"])


@bp.post("/minutes/<int:minutes_id>/representatives")
@login_required
def representatives(minutes_id: int):
    ids = [int(i) for i in request.form.getlist("people") if i.isdigit()]
    people = list(db.session.scalars(select(User).where(User.id.in_(ids)))) if ids else []
    return _act(minutes_id, None, lambda m, f: minutes_service.name_representatives(m, actor=current_user,
                                                                                    people=people),
                DONE["representatives"])


@bp.post("/minutes/<int:minutes_id>/<any(submit, sign):action>")
@login_required
def step(minutes_id: int, action: str):
    operation = {"submit": minutes_service.submit, "sign": minutes_service.sign}[action]
    if action == "sign":
        _minutes(minutes_id)
        asking = confirm_first(
            question=_("Sign these minutes?"),
            consequence=_("A signature cannot be withdrawn. With the last signature this version is frozen under "
                          "its SHA-256 and published; after that only a new, corrected version can change it."),
            back=url_for("minutes.detail", minutes_id=minutes_id))
        if asking is not None:
            return asking
    response = _act(minutes_id, None, lambda m, f: operation(m, actor=current_user), DONE[action])
    if action == "sign":
        # The last signature freezes the version: its PDF is made now, once, so that the
        # archive's export only reads files.
        minutes = db.session.get(Minutes, minutes_id)
        if minutes is not None and minutes.latest.frozen:
            archive.keep_pdf(minutes.latest)
    return response


@bp.post("/minutes/<int:minutes_id>/return")
@login_required
def return_to_draft(minutes_id: int):
    return _act(minutes_id, None, lambda m, f: minutes_service.return_to_draft(m, actor=current_user,
                                                                               reason=f.body.data),
                DONE["return"])


@bp.post("/minutes/<int:minutes_id>/correct")
@login_required
def correct(minutes_id: int):
    return _act(minutes_id, None, lambda m, f: minutes_service.correct(m, actor=current_user, reason=f.body.data),
                DONE["correct"])


@bp.post("/minutes/<int:minutes_id>/remarks")
@login_required
def remark(minutes_id: int):
    return _act(minutes_id, RemarkForm, lambda m, f: minutes_service.remark(
        m, actor=current_user, kind=RemarkKind(f.kind.data), body=f.body.data), DONE["remark"])


@bp.post("/minutes/<int:minutes_id>/remarks/<int:remark_id>/answer")
@login_required
def answer(minutes_id: int, remark_id: int):
    def answer_it(m, f):
        entry = db.session.get(Remark, remark_id)
        if entry is None or entry.minutes_id != m.id:
            abort(404)
        return minutes_service.answer(entry, actor=current_user, body=f.body.data)
    return _act(minutes_id, None, answer_it, DONE["answer"])


def _version(minutes: Minutes, number: int):
    version = next((v for v in minutes.versions if v.number == number), None)
    if version is None or not permissions.can_view_minutes_version(current_user, version):
        abort(404)
    return version


@bp.get("/minutes/<int:minutes_id>/versions/<int:number>")
@login_required
def version(minutes_id: int, number: int):
    minutes = _minutes(minutes_id)
    shown = _version(minutes, number)
    before = minutes_service.previous(shown)
    return render_template("minutes/version.html", minutes=minutes, shown=shown, before=before,
                           changes=minutes_service.diff(before, shown) if before else None,
                           verified=shown.frozen and minutes_service.verify(shown))


@bp.get("/minutes/<int:minutes_id>/versions/<int:number>.<any(pdf, md):kind>")
@login_required
def download(minutes_id: int, number: int, kind: str):
    minutes = _minutes(minutes_id)
    shown = _version(minutes, number)
    stem = f"minutes-{minutes.id}-v{shown.number}"
    if kind == "md":
        return Response(archive.markdown(shown), mimetype="text/markdown; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={stem}.md"})
    return Response(archive.pdf(shown), mimetype="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename={stem}.pdf"})


@bp.get("/places/<int:place_id>/archive")
@login_required
def place_archive(place_id: int):
    place = archive.viewable_place(place_id)
    if minutes_service.archive_is_due(within=place):
        run_due(minutes_service.archive_due, within=place)
    year = request.args.get("year", type=int)
    years = archive.years(place)
    if year not in years:
        year = years[0] if years else None
    entries = archive.timeline(place, year) if year else []
    return render_template("minutes/archive.html", place=place, year=year, years=years, entries=entries)


@bp.get("/places/<int:place_id>/archive.zip")
@login_required
def place_archive_zip(place_id: int):
    place = archive.viewable_place(place_id)
    path = archive.export_zip(place, current_app.config)
    return Response(_stream(path), mimetype="application/zip",
                    headers={"Content-Disposition": f"attachment; filename=archive-{place.id}.zip"})


def _stream(path):
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(256 * 1024):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
