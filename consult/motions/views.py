"""Motion pages: the moderator assigns; the responder's desk; the public record of a
motion with the actions each person may take; rating; the accountability figures."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from time import monotonic

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..accounts import service as accounts
from ..clock import end_of_local_day, local_today, start_of_local_day, utcnow
from ..extensions import db
from ..councils import service as councils
from ..grids import service as grid_reports
from ..i18n import format_deadline
from ..places.models import Place
from ..proposals import figures as matter_figures
from ..proposals.models import Proposal
from ..web import form_action, load, perform, run_due
from . import charts, figures
from . import service as motions
from .forms import AnswerForm, AssignForm, CompleteForm, PeriodForm, ProgressForm, RateForm, SendBackForm, TextForm, \
    TimeForm
from .lifecycle import TRANSITIONS
from .lifecycle import label as action_label
from .models import Answer, Motion, MotionState, Raters, Score

bp = Blueprint("motions", __name__)


def _follow_up() -> None:
    """Deadlines are followed up on access too, so that nothing waits for the server's
    background loop (or for a server that has none); at most once in
    MOTION_FOLLOW_UP_ON_ACCESS_SECONDS per process."""
    every = current_app.config["MOTION_FOLLOW_UP_ON_ACCESS_SECONDS"]
    looked = current_app.extensions.setdefault("consult.follow_up", {"at": None})
    now = monotonic()
    if every and looked["at"] is not None and now - looked["at"] < every:
        return
    looked["at"] = now
    if motions.follow_up_due():
        run_due(motions.follow_up)


def _motion(motion_id: int) -> Motion:
    motion = load(Motion, motion_id, permissions.can_view_motion)
    return motion


def _back(motion: Motion):
    return redirect(url_for("motions.detail", motion_id=motion.id))


# --- assigning -----------------------------------------------------------------------------

@bp.route("/places/<int:place_id>/motions/new", methods=["GET", "POST"])
@login_required
def new(place_id: int):
    place = load(Place, place_id, permissions.can_assign_motion, refuse=403)
    proposal = None
    if request.args.get("proposal", "").isdigit():
        proposal = db.session.get(Proposal, int(request.args["proposal"]))
    meeting_id = request.args.get("meeting", type=int)
    form = AssignForm(title=(proposal.title if proposal and request.method == "GET" else None),
                      raters=Raters.proposal.value if proposal else Raters.place.value)
    organisations = motions.eligible_organisations(place)
    form.lead.choices = [(str(o.id), f"{o.name}（{o.kind.label}）") for o in organisations]
    form.also.choices = list(form.lead.choices)
    if not form.is_submitted():
        usual = motions.default_organisation(place, proposal.category if proposal else None)
        form.lead.data = str(usual.id) if usual else None
    status = 200
    if form.validate_on_submit():
        chosen = {o.id: o for o in organisations}
        picked = [chosen.get(int(form.lead.data)) if form.lead.data and form.lead.data.isdigit() else None]
        picked += [chosen.get(int(i)) for i in form.also.data if i.isdigit()]

        def assign():
            from ..meetings.models import Meeting

            person = None
            if form.person.data:
                person = accounts.find_by_login(form.person.data.strip())
                if person is None:
                    from ..errors import NotFound

                    raise NotFound(_("Nobody with this phone number or username is registered."))
            meeting = db.session.get(Meeting, meeting_id) if meeting_id else None
            return motions.assign(place, actor=current_user, title=form.title.data, body=form.body.data,
                                  organisations=[o for o in picked if o is not None], person=person,
                                  proposal=proposal, meeting=meeting, acknowledge_hours=form.acknowledge_hours.data,
                                  complete_days=form.complete_days.data, raters=Raters(form.raters.data),
                                  roster=bool(form.roster.data))
        outcome = perform(assign)
        if outcome.ok:
            flash(_("The motion is assigned. The responder has been told."), "success")
            return _back(outcome.value)
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("motions/new.html", place=place, form=form, proposal=proposal,
                           organisations=organisations, roster=motions.standing_responders(place)), status


# --- lists -----------------------------------------------------------------------------------

@bp.get("/places/<int:place_id>/motions")
@login_required
def index(place_id: int):
    place = load(Place, place_id, permissions.can_view_place)
    _follow_up()
    state = request.args.get("state")
    state = MotionState(state) if state in {s.value for s in MotionState} else None
    page = motions.motions_in(place, state=state, page=request.args.get("page", 1, type=int))
    return render_template("motions/index.html", place=place, page=page, state=state, MotionState=MotionState,
                           can_assign=permissions.can_assign_motion(current_user, place), now=utcnow())


@bp.get("/desk")
@login_required
def desk():
    organisations = permissions.organisations_of(current_user)
    if not organisations:
        abort(403)
    _follow_up()
    wanted = request.args.get("org", type=int)
    organisation = next((o for o in organisations if o.id == wanted), None) if wanted else organisations[0]
    if organisation is None:
        abort(403)   # another organisation's desk
    tab = request.args.get("tab", "new")
    tab = tab if tab in motions.DESK_TABS else "new"
    place = db.session.get(Place, request.args.get("place", type=int) or 0)
    if place is not None and not (place.is_within(organisation.place) or organisation.place.is_within(place)):
        place = None
    places = list(db.session.scalars(organisation.place.descendants_query().order_by(Place.path).limit(300)))
    return render_template("motions/desk.html", organisation=organisation, organisations=organisations, tab=tab,
                           place=place, places=places, items=motions.desk(organisation, tab, place=place),
                           counts=motions.desk_counts(organisation, place=place), now=utcnow())


# --- one motion -------------------------------------------------------------------------------

@bp.get("/motions/<int:motion_id>")
@login_required
def detail(motion_id: int):
    motion = _motion(motion_id)
    _follow_up()
    actions = {a: permissions.can_take_motion_action(current_user, motion, a) for a in TRANSITIONS}
    return render_template(
        "motions/detail.html", motion=motion, actions=actions, action_label=action_label, now=utcnow(),
        summary=motions.ratings_summary(motion), my_rating=motions.my_rating(current_user, motion),
        rate_form=RateForm(), answer_form=AnswerForm(), progress_form=ProgressForm(), complete_form=CompleteForm(),
        time_form=TimeForm(), send_back_form=SendBackForm(), text_form=TextForm(), Score=Score,
        MotionState=MotionState, moderate=permissions.can_moderate_motion(current_user, motion))


def _photos(field) -> list[bytes]:
    return [f.read() for f in (field.data or []) if f and getattr(f, "filename", "")]


def _act(motion_id: int, form_class, operation, done=None):
    motion = _motion(motion_id)
    return form_action(motion, form_class() if form_class else TextForm(), operation,
                       url_for("motions.detail", motion_id=motion.id),
                       done=(lambda value: done(motion)) if done else None)


def _deadline(moment) -> str:
    return format_deadline(moment)


def _answered(motion: Motion) -> str:
    if motion.state is MotionState.declined:
        return _("You declined the motion. The moderator decides what happens next and you will be told.")
    return _("You accepted the motion. Post progress as you go and report it done by %(date)s.",
             date=_deadline(motion.complete_by))


def _time_decided(motion: Motion) -> str:
    if request.form.get("grant") == "1":
        return _("More time granted: the new deadline is %(date)s. The responder has been told.",
                 date=_deadline(motion.complete_by))
    return _("More time refused: the deadline stays %(date)s. The responder has been told.",
             date=_deadline(motion.complete_by))


MODERATION_DONE = {
    "reopen": lambda m: _("The motion is reopened. Send it back to the responder or close it."),
    "close": lambda m: _("The motion is closed."),
    "withdraw": lambda m: _("The motion is withdrawn. The responder has been told."),
    "escalate": lambda m: _("The motion is escalated one level up; the moderators there have been told."),
}


@bp.post("/motions/<int:motion_id>/acknowledge")
@login_required
def acknowledge(motion_id: int):
    return _act(motion_id, None, lambda m, f: motions.acknowledge(m, actor=current_user),
                lambda m: _("Acknowledged (接单). Next: accept the motion, in whole or in part, or decline it "
                            "with a reason; it is due by %(date)s.", date=_deadline(m.complete_by)))


@bp.post("/motions/<int:motion_id>/answer")
@login_required
def answer(motion_id: int):
    return _act(motion_id, AnswerForm, lambda m, f: motions.answer(m, actor=current_user, answer=Answer(f.answer.data),
                                                                   reason=f.body.data), _answered)


@bp.post("/motions/<int:motion_id>/progress")
@login_required
def progress(motion_id: int):
    return _act(motion_id, ProgressForm, lambda m, f: motions.post_progress(
        m, actor=current_user, body=f.body.data, photos=_photos(f.photos), config=current_app.config),
        lambda m: _("Your progress is posted on the motion's record for the residents to read."))


@bp.post("/motions/<int:motion_id>/ask-time")
@login_required
def ask_time(motion_id: int):
    return _act(motion_id, TimeForm, lambda m, f: motions.ask_time(
        m, actor=current_user, until=end_of_local_day(f.until.data), reason=f.body.data),
        lambda m: _("Your request for more time (until %(date)s) is sent to the moderator. Until they answer, "
                    "the deadline stays %(due)s.", date=_deadline(m.extension_until), due=_deadline(m.complete_by)))


@bp.post("/motions/<int:motion_id>/decide-time")
@login_required
def decide_time(motion_id: int):
    grant = request.form.get("grant") == "1"
    return _act(motion_id, None, lambda m, f: motions.decide_time(m, actor=current_user, grant=grant,
                                                                  reason=f.body.data), _time_decided)


@bp.post("/motions/<int:motion_id>/complete")
@login_required
def complete(motion_id: int):
    return _act(motion_id, CompleteForm, lambda m, f: motions.complete(
        m, actor=current_user, evidence=f.body.data, photos=_photos(f.photos), config=current_app.config),
        lambda m: _("Reported as done. The residents concerned are asked to rate the result until %(date)s.",
                    date=_deadline(m.evaluation_closes_at)))


@bp.post("/motions/<int:motion_id>/rate")
@login_required
def rate(motion_id: int):
    return _act(motion_id, RateForm, lambda m, f: motions.rate(m, actor=current_user, score=Score(f.score.data),
                                                               comment=f.body.data),
                lambda m: _("Thank you: your household's rating is counted. Rating ends %(date)s.",
                            date=_deadline(m.evaluation_closes_at)))


@bp.post("/motions/<int:motion_id>/send-back")
@login_required
def send_back(motion_id: int):
    return _act(motion_id, SendBackForm, lambda m, f: motions.send_back(m, actor=current_user, reason=f.body.data,
                                                                        complete_days=f.days.data),
                lambda m: _("Sent back to the responder, who has been told and has until %(date)s.",
                            date=_deadline(m.complete_by)))


@bp.post("/motions/<int:motion_id>/<any(reopen, close, withdraw, escalate):action>")
@login_required
def moderate(motion_id: int, action: str):
    operation = {"reopen": motions.reopen, "close": motions.close, "withdraw": motions.withdraw,
                 "escalate": motions.escalate}[action]
    return _act(motion_id, None, lambda m, f: operation(m, actor=current_user, reason=f.body.data),
                MODERATION_DONE[action])


@bp.get("/motions/<int:motion_id>/photos/<token>.jpg")
@login_required
def photo(motion_id: int, token: str):
    from ..photos import photo_dir

    motion = _motion(motion_id)
    if not any(token in (u.photos or []) for u in motion.updates):
        abort(404)
    response = send_from_directory(photo_dir(current_app.config), f"{token}.jpg", mimetype="image/jpeg", max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- figures ---------------------------------------------------------------------------------

LONGEST_PERIOD = timedelta(days=5 * 366)


def _period():
    """The chosen period as local dates (both included), and as UTC bounds."""
    form = PeriodForm(request.args)
    form.validate()
    today = local_today()
    end_day = form.end.data or today
    start_day = form.start.data or (end_day - timedelta(days=364))
    if start_day > end_day:
        start_day, end_day = end_day, start_day
    start_day = max(start_day, end_day - LONGEST_PERIOD)
    return form, start_day, end_day, start_of_local_day(start_day), end_of_local_day(end_day)


def _figures_place(place_id: int) -> Place:
    place = load(Place, place_id, permissions.can_view_place)
    return place


@bp.get("/places/<int:place_id>/figures")
@login_required
def figures_page(place_id: int):
    place = _figures_place(place_id)
    _follow_up()
    form, start_day, end_day, start, end = _period()
    report = figures.report(place, start, end)
    chart = charts.monthly(report)
    period = {"start": start_day.isoformat(), "end": end_day.isoformat()}
    place_rows = [(_("%(place)s itself", place=place.name), report.own, None)] if report.own.received else []
    place_rows += [(child.name, f, url_for("motions.figures_page", place_id=child.id, **period))
                   for child, f in report.places]
    org_rows = [(organisation.name, f, None) for organisation, f in report.organisations]
    chain = grid_reports.chain_figures(place, start, end)
    cadences = councils.cadence_figures(place, start, end)
    categories = matter_figures.by_category(place, start, end)
    two_years = matter_figures.two_years_chart(place, end_day.year)
    return render_template("motions/figures.html", place=place, report=report, form=form, start_day=start_day,
                           end_day=end_day, chart=chart, place_rows=place_rows, org_rows=org_rows, chain=chain,
                           cadences=cadences, categories=categories, two_years=two_years,
                           locale=str(get_locale()))


@bp.get("/places/<int:place_id>/figures.csv")
@login_required
def figures_csv(place_id: int):
    place = _figures_place(place_id)
    _form, start_day, end_day, start, end = _period()
    report = figures.report(place, start, end)
    out = io.StringIO()
    writer = csv.writer(out)
    headings = {"received": _("Received"), "response_rate": _("Response rate"),
                "completion_rate": _("Completion rate"), "resolution_rate": _("Resolution rate"),
                "satisfaction_rate": _("Satisfaction rate"), "overdue": _("Overdue"),
                "median_acknowledge_hours": _("Median to acknowledge (h)"),
                "median_complete_hours": _("Median to complete (h)"), "responders": _("Responders addressed"),
                "responded_in_time": _("Responded in time"), "completed": _("Done"),
                "settled": _("Rating ended"), "resolved": _("Resolved"), "ratings": _("Ratings"),
                "satisfied": _("Satisfied ratings")}
    columns = list(headings)
    # The headings in the reader's language; the numbers stay plain for a spreadsheet.
    writer.writerow([_("Kind"), _("Name")] + [headings[c] for c in columns])

    def row(kind, name, f):
        values = f.as_dict()
        writer.writerow([kind, name] + ["" if values[c] is None else round(values[c], 4)
                                        if isinstance(values[c], float) else values[c] for c in columns])
    row(_("Total"), place.name, report.total)
    for child, f in report.places:
        row(_("Place"), child.name, f)
    for organisation, f in report.organisations:
        row(_("Organisation"), organisation.name, f)
    for month, f in report.months:
        row(_("Month"), month, f)
    filename = f"figures-{place.id}-{start_day.isoformat()}-{end_day.isoformat()}.csv"
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
