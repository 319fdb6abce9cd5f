"""Meeting pages: schedule, the invitation, and the live room (its actions go over the
socket, see live.py)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import format_datetime
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import permissions
from ..accounts import service as accounts
from ..forms import ConfirmForm
from ..accounts.models import Organisation
from ..errors import InvalidInput
from ..extensions import db
from ..places.models import Place
from ..proposals.lifecycle import DELIBERABLE
from ..proposals.models import Proposal
from ..web import load, perform, readable_place
from . import service as meetings
from .forms import CancelForm, MeetingScheduleForm, RescheduleForm
from .models import Invitee, Meeting, MeetingForm, MeetingKind, MeetingState, Quorum
from .state import room_state

bp = Blueprint("meetings", __name__)


def load_meeting(meeting_id: int) -> Meeting:
    meeting = load(Meeting, meeting_id, permissions.can_view_meeting)
    return meeting


@bp.get("/meetings/")
@login_required
def mine():
    return render_template("meetings/index.html", meetings=meetings.meetings_for(current_user), place=None,
                           can_schedule=False)


@bp.get("/places/<int:place_id>/meetings")
@login_required
def index(place_id: int):
    place = readable_place(place_id)
    return render_template("meetings/index.html", meetings=meetings.meetings_in(place), place=place,
                           can_schedule=permissions.can_schedule_meeting(current_user, place))


def _organisations_for(place: Place) -> list[Organisation]:
    ids = place.ancestor_ids
    below = select(Place.id).where(Place.path.startswith(place.path, autoescape=True))
    return list(db.session.scalars(select(Organisation).where(Organisation.place_id.in_(ids)
                                                              | Organisation.place_id.in_(below))
                                   .order_by(Organisation.name)))


def _open_proposals(place: Place) -> list[Proposal]:
    return list(db.session.scalars(select(Proposal).join(Proposal.place)
                                   .where(Place.path.startswith(place.path, autoescape=True),
                                          Proposal.state.in_(DELIBERABLE))
                                   .order_by(Proposal.cosign_count.desc()).limit(100)))


@bp.route("/places/<int:place_id>/meetings/new", methods=["GET", "POST"])
@login_required
def new(place_id: int):
    place = load(Place, place_id, permissions.can_schedule_meeting, refuse=403)
    form = MeetingScheduleForm()
    organisations = _organisations_for(place)
    open_proposals = _open_proposals(place)
    form.organisations.choices = [(str(o.id), _("%(name)s (%(kind)s)", name=o.name, kind=o.kind.label))
                                  for o in organisations]
    form.proposals.choices = [(str(p.id), f"#{p.id} {p.title}") for p in open_proposals]
    if request.method == "GET" and request.args.get("proposal"):
        form.proposals.data = [request.args["proposal"]]
    status = 200
    if form.validate_on_submit():
        def schedule_it():
            people = accounts.people_by_handle((form.people.data or "").splitlines())
            recorder = None
            if form.recorder.data:
                recorder = accounts.find_by_login(form.recorder.data)
                if recorder is None:
                    raise InvalidInput(_("Nobody is registered as %(who)s.", who=form.recorder.data))
            chosen = set(form.proposals.data or [])
            return meetings.schedule(
                place, actor=current_user, title=form.title.data, kind=MeetingKind(form.kind.data),
                form=MeetingForm(form.form.data), starts_at=form.starts_at.data,
                location=form.location.data, quorum=Quorum(form.quorum.data), recorder=recorder,
                invite_residents=form.invite_residents.data, invite_owners=form.invite_owners.data, people=people,
                organisations=[o for o in organisations if str(o.id) in set(form.organisations.data or [])],
                proposals=[p for p in open_proposals if str(p.id) in chosen],
                free_items=(form.free_items.data or "").splitlines())
        outcome = perform(schedule_it)
        if outcome.ok:
            flash(_("The meeting is scheduled and the invitees have been told."), "success")
            return redirect(url_for("meetings.detail", meeting_id=outcome.value.id))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("meetings/new.html", place=place, form=form), status


@bp.get("/meetings/<int:meeting_id>")
@login_required
def detail(meeting_id: int):
    meeting = load_meeting(meeting_id)
    invitee = db.session.scalar(select(Invitee).where(Invitee.meeting_id == meeting.id,
                                                      Invitee.user_id == current_user.id))
    present, expected = meetings.quorum_figures(meeting)
    run = permissions.can_run_meeting(current_user, meeting)
    form = RescheduleForm(location=meeting.location, starts_at=meeting.starts_at)
    return render_template("meetings/detail.html", meeting=meeting, invitee=invitee, run=run,
                           can_enter=permissions.can_enter_meeting(current_user, meeting), present=present, expected=expected,
                           confirm=ConfirmForm(), reschedule_form=form, cancel_form=CancelForm(),
                           invitees=meetings.invitees_in_order(meeting) if run else [], MeetingState=MeetingState,
                           public_name=meetings.public_name, minutes=_visible_minutes(meeting))


def _visible_minutes(meeting: Meeting):
    from ..minutes import service as minutes

    found = minutes.minutes_of(meeting)
    return found if found is not None and permissions.can_view_minutes(current_user, found) else None


@bp.post("/meetings/<int:meeting_id>/respond")
@login_required
def respond(meeting_id: int):
    meeting = load_meeting(meeting_id)
    ConfirmForm().validate_on_submit() or abort(400)
    accept = request.form.get("answer") == "accept"
    if perform(meetings.respond, meeting, actor=current_user, accept=accept).ok:
        flash(_("Thank you: you will come. The meeting starts %(when)s; it is on your home page until then.",
                when=format_datetime(meeting.starts_at, "short")) if accept
              else _("Thank you: you will not come. The moderator has your answer."), "success")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.post("/meetings/<int:meeting_id>/reschedule")
@login_required
def reschedule(meeting_id: int):
    meeting = load_meeting(meeting_id)
    form = RescheduleForm()
    if form.validate_on_submit():
        if perform(meetings.reschedule, meeting, actor=current_user, starts_at=form.starts_at.data,
                   location=form.location.data).ok:
            flash(_("The meeting is changed and the invitees have been told."), "success")
    else:
        flash(form.starts_at.errors[0] if form.starts_at.errors else _("Give the new time."), "error")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.post("/meetings/<int:meeting_id>/cancel")
@login_required
def cancel(meeting_id: int):
    meeting = load_meeting(meeting_id)
    form = CancelForm()
    if form.validate_on_submit():
        if perform(meetings.cancel, meeting, actor=current_user, reason=form.reason.data).ok:
            flash(_("The meeting is cancelled and the invitees have been told."), "success")
    else:
        flash(_("Give the reason."), "error")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.get("/meetings/<int:meeting_id>/room")
@login_required
def room(meeting_id: int):
    meeting = load(Meeting, meeting_id, permissions.can_enter_meeting, refuse=403)
    state = room_state(meeting, current_user)
    return render_template("meetings/room.html", meeting=meeting, state=state,
                           run=permissions.can_run_meeting(current_user, meeting))
