"""Turnout pages: the desk and a building's door-knocking list (on a phone or printed),
notices for the notice board, the per-building ballot sheets, assisted votes, and the
rotating sign-in code of a meeting in a hall."""
from __future__ import annotations

import base64

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from markupsafe import escape
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..clock import utcnow
from ..extensions import db
from ..forms import ConfirmForm
from ..meetings.models import Meeting, MeetingForm
from ..minutes.models import Minutes
from ..pdf import render_pdf
from ..places.models import Place, PlaceKind
from ..privacy import mask_phone
from ..voting import service as voting
from ..owners import service as owners
from ..voting.models import Ballot, BallotKind, BallotState, BallotVoter, ResultStage, Secrecy
from ..voting.rules import RULES
from ..voting.views import load_ballot
from ..web import load, perform, person_name
from . import service as turnout
from .forms import AssistForm, VisitForm
from .models import DoorOutcome
from .qr import qr_column, qr_png, qr_svg

bp = Blueprint("turnout", __name__)


@bp.app_template_global("qr")
def qr(text: str, printed: bool = False) -> str:
    """``<img src="{{ qr(url) }}">``: a QR code in a page, or (``printed``) a PNG sharp
    enough for paper in a PDF. Escaped once here, so that the masking of numbers in
    printed values leaves the image alone."""
    return escape(qr_png(text, scale=8) if printed else qr_svg(text))


def _pdf(body: bytes, name: str) -> Response:
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f"inline; filename={name}"})


def _print(template: str, name: str, **context) -> Response:
    return _pdf(render_pdf(template, locale=str(get_locale()), now=utcnow(), **context), name)


# --- notices for the notice board ----------------------------------------------------------

@bp.get("/meetings/<int:meeting_id>/notice.pdf")
@login_required
def meeting_notice(meeting_id: int):
    meeting = load(Meeting, meeting_id, permissions.can_view_meeting)
    return _print("turnout/notice_meeting.html", f"meeting-{meeting.id}-notice.pdf", meeting=meeting,
                  place=meeting.place, link=url_for("meetings.detail", meeting_id=meeting.id, _external=True))


@bp.get("/ballots/<int:ballot_id>/notice.pdf")
@login_required
def ballot_notice(ballot_id: int):
    ballot = load_ballot(ballot_id)
    if ballot.state is BallotState.draft:
        abort(404)
    if owners.notice_of(ballot) is not None:
        # An owners' decision's notice is the formal one, with its documents and rule.
        return redirect(url_for("owners.notice_pdf", ballot_id=ballot.id))
    return _print("turnout/notice_ballot.html", f"ballot-{ballot.id}-notice.pdf", ballot=ballot, place=ballot.place,
                  rule=RULES[ballot.rule], link=url_for("voting.detail", ballot_id=ballot.id, _external=True))


@bp.get("/ballots/<int:ballot_id>/result-notice.pdf")
@login_required
def result_notice(ballot_id: int):
    """The result as counted, totals only: a secret ballot's notice names nobody, a named
    ballot's neither (the signed list is the named record)."""
    ballot = load_ballot(ballot_id)
    if ballot.state is not BallotState.closed or not ballot.result:
        abort(404)
    if ballot.stage is ResultStage.final:
        return redirect(url_for("voting.notice_pdf", ballot_id=ballot.id))
    return _print("turnout/notice_result.html", f"ballot-{ballot.id}-result.pdf", ballot=ballot, place=ballot.place,
                  result=ballot.result, rule=RULES[ballot.rule],
                  link=url_for("voting.detail", ballot_id=ballot.id, _external=True))


@bp.get("/minutes/<int:minutes_id>/notice.pdf")
@login_required
def minutes_notice(minutes_id: int):
    minutes = load(Minutes, minutes_id, permissions.can_view_minutes)
    if minutes.current is None:
        abort(404)
    return _print("turnout/notice_minutes.html", f"minutes-{minutes.id}-notice.pdf", minutes=minutes,
                  meeting=minutes.meeting, place=minutes.place, version=minutes.current,
                  link=url_for("minutes.detail", minutes_id=minutes.id, _external=True))


# --- the desk --------------------------------------------------------------------------------

def _watched(ballot_id: int) -> Ballot:
    ballot = load_ballot(ballot_id)
    if not permissions.can_watch_turnout(current_user, ballot) or ballot.state is BallotState.draft:
        abort(403)
    return ballot


def _building(ballot: Ballot, building_id: int) -> Place:
    building = load(Place, building_id, lambda user, b: permissions.can_canvass(user, ballot, b), refuse=403)
    if building.kind is not PlaceKind.building:
        abort(404)
    return building


def figure_words() -> dict:
    """The words of the participation figures, translated once for a page of many rows."""
    return {"voted": _("Voted: %(cast)d of %(eligible)d"), "area": _("area %(pct)s%%"),
            "reached": _("Two thirds reached"), "below": _("Below two thirds"), "not_voted": _("%(n)d not voted")}


@bp.get("/ballots/<int:ballot_id>/turnout")
@login_required
def desk(ballot_id: int):
    ballot = _watched(ballot_id)
    found = turnout.desk(ballot, actor=current_user)
    return render_template("turnout/desk.html", ballot=ballot, desk=found, BallotState=BallotState,
                           reminded=turnout.reminded_today(ballot, [b.place_id for b in found.buildings]),
                           confirm=ConfirmForm(), w=figure_words())


def _door_link(ballot: Ballot, voter: BallotVoter) -> str:
    """Where a household's QR on the ballot sheet leads: the voter on the paper-ballot desk
    (a named ballot), or their assisted vote (a secret ballot, which takes no paper)."""
    if ballot.secrecy is Secrecy.named:
        return url_for("voting.paper", ballot_id=ballot.id, voter_id=voter.id, _external=True)
    return url_for("turnout.assist", ballot_id=ballot.id, voter_id=voter.id, _external=True)


@bp.get("/ballots/<int:ballot_id>/turnout/buildings/<int:building_id>")
@login_required
def doors(ballot_id: int, building_id: int):
    """The door-knocking list (入户动员清单) of one building, on a phone."""
    ballot = _watched(ballot_id)
    building = _building(ballot, building_id)
    found = turnout.doors(ballot, building, actor=current_user)
    return render_template("turnout/doors.html", ballot=ballot, building=building, doors=found,
                           waiting=[d for d in found if d.participation is None],
                           entrances=turnout.building_figures(ballot, building, found),
                           reminded=building.id in turnout.reminded_today(ballot, [building.id]),
                           outcomes=[(o.value, str(o.label)) for o in DoorOutcome], confirm=ConfirmForm(),
                           BallotState=BallotState, Secrecy=Secrecy, w=figure_words())


@bp.get("/ballots/<int:ballot_id>/turnout/buildings/<int:building_id>/doors.pdf")
@login_required
def doors_pdf(ballot_id: int, building_id: int):
    ballot = _watched(ballot_id)
    building = _building(ballot, building_id)
    found = [d for d in turnout.doors(ballot, building, actor=current_user) if d.participation is None]
    return _print("turnout/doors_pdf.html", f"ballot-{ballot.id}-building-{building.id}-doors.pdf", ballot=ballot,
                  building=building, doors=found, place=building)


ROWS_PER_SHEET = 10


def _sheet_pages(ballot: Ballot, building: Place) -> list[tuple[Place, list, str]]:
    """A building's voters in pages of ``ROWS_PER_SHEET``, each voter with their address
    and names as printed, and each page's QR codes as one column image."""
    found = turnout.doors(ballot, building, actor=current_user)
    for door in found:
        door.address = "、".join((f"{h.place.name} " if h.place_id != building.id else "") + h.room
                                for h in door.homes)
        door.names = "、".join(person_name(p, building) for p in door.people)
    pages = []
    for start in range(0, len(found), ROWS_PER_SHEET):
        rows = found[start:start + ROWS_PER_SHEET]
        pages.append((building, rows, escape(qr_column([_door_link(ballot, door.voter) for door in rows]))))
    return pages


@bp.get("/ballots/<int:ballot_id>/turnout/buildings/<int:building_id>/sheet.pdf")
@login_required
def sheet_pdf(ballot_id: int, building_id: int):
    """The paper ballot sheet of a building: one row per voter with a QR that opens them
    on the paper-ballot desk."""
    ballot = _watched(ballot_id)
    building = _building(ballot, building_id)
    return _print("turnout/sheet_pdf.html", f"ballot-{ballot.id}-building-{building.id}-sheet.pdf", ballot=ballot,
                  pages=_sheet_pages(ballot, building), place=ballot.place, marks=_marks(ballot),
                  boxes=_boxes(_marks(ballot)))


def _marks(ballot: Ballot) -> list[str]:
    """The boxes to tick on a sheet: 赞成, 反对, 弃权, or the options."""
    return list(ballot.choices().values())


def _boxes(marks: list[str]) -> str:
    """A row's boxes to tick, 20 mm apart, and a 40 mm line to sign on, as an SVG data URI."""
    width = len(marks) * 20 + 40
    shapes = "".join(f'<rect x="{n * 20 + 0.2}" y="0.2" width="5" height="5" fill="none" stroke="#333" '
                     f'stroke-width="0.3"/>' for n in range(len(marks)))
    shapes += f'<line x1="{len(marks) * 20}" y1="5.5" x2="{width}" y2="5.5" stroke="#333" stroke-width="0.3"/>'
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="6mm" viewBox="0 0 {width} 6">{shapes}</svg>'
    return escape("data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode())


@bp.get("/ballots/<int:ballot_id>/turnout/sheets.pdf")
@login_required
def sheets_pdf(ballot_id: int):
    """The ballot sheets of every building the viewer serves, as one PDF."""
    ballot = _watched(ballot_id)
    found = turnout.desk(ballot, actor=current_user)
    buildings = {p.id: p for p in db.session.scalars(db.select(Place).where(
        Place.id.in_([b.place_id for b in found.buildings if b.place_id])))}
    pages = [page for b in found.buildings if b.place_id in buildings
             for page in _sheet_pages(ballot, buildings[b.place_id])]
    return _print("turnout/sheet_pdf.html", f"ballot-{ballot.id}-sheets.pdf", ballot=ballot, pages=pages,
                  place=ballot.place, marks=_marks(ballot), boxes=_boxes(_marks(ballot)))


@bp.post("/ballots/<int:ballot_id>/turnout/voters/<int:voter_id>/visit")
@login_required
def visit(ballot_id: int, voter_id: int):
    ballot = _watched(ballot_id)
    voter = _voter(ballot, voter_id)
    form = VisitForm()
    if not form.validate_on_submit():
        abort(400)
    if perform(turnout.record_visit, ballot, voter, actor=current_user, outcome=DoorOutcome(form.outcome.data),
               note=form.note.data).ok:
        flash(_("The visit is recorded."), "success")
    return redirect(url_for("turnout.doors", ballot_id=ballot.id, building_id=voter.building_id)
                    + f"#voter-{voter.id}")


@bp.post("/ballots/<int:ballot_id>/turnout/buildings/<int:building_id>/remind")
@login_required
def remind(ballot_id: int, building_id: int):
    ballot = _watched(ballot_id)
    building = _building(ballot, building_id)
    ConfirmForm().validate_on_submit() or abort(400)
    outcome = perform(turnout.remind_building, ballot, building, actor=current_user)
    if outcome.ok:
        flash(_("%(n)d people who have not voted yet were reminded.", n=outcome.value), "success")
    return redirect(request.form.get("back") == "desk" and url_for("turnout.desk", ballot_id=ballot.id)
                    or url_for("turnout.doors", ballot_id=ballot.id, building_id=building.id))


# --- assisted votes --------------------------------------------------------------------------

def _voter(ballot: Ballot, voter_id: int) -> BallotVoter:
    voter = load(BallotVoter, voter_id)
    if voter.ballot_id != ballot.id:
        abort(404)
    if not permissions.can_canvass(current_user, ballot, voter.building):
        abort(403)
    return voter


@bp.route("/ballots/<int:ballot_id>/voters/<int:voter_id>/assist", methods=["GET", "POST"])
@login_required
def assist(ballot_id: int, voter_id: int):
    """An owner votes on the helper's phone, confirming with the code sent to their own
    phone or a photo of their signature."""
    ballot = load_ballot(ballot_id)
    voter = _voter(ballot, voter_id)
    form = AssistForm()
    status, receipt = 200, None
    if form.is_submitted():
        status = 422
        if form.validate():
            choice = request.form.getlist("choice")
            signature = form.signature.data.read() if form.signature.data and form.signature.data.filename else b""
            if not choice:
                flash(_("Mark the owner's vote."), "error")
            else:
                outcome = perform(turnout.cast_assisted, ballot, voter, actor=current_user, choice=choice,
                                  code=form.code.data or "", signature=signature, config=current_app.config)
                if outcome.ok and outcome.value is None:
                    flash(_("The code is not right. Ask the owner to read it again."), "error")
                elif outcome.ok:
                    flash(_("The owner's vote is counted as an assisted vote."), "success")
                    if ballot.secrecy is Secrecy.named:
                        return redirect(url_for("turnout.doors", ballot_id=ballot.id, building_id=voter.building_id))
                    status, receipt = 200, outcome.value
                else:
                    status = outcome.status
    owner = turnout.owner_of(voter)
    number = turnout.verified_number(owner)
    response = current_app.make_response((render_template(
        "turnout/assist.html", ballot=ballot, voter=voter, owner=owner, form=form, receipt=receipt,
        number=mask_phone(number) if number else None, done=voting.participation_of(ballot, voter),
        label=_voter_label(voter, ballot), BallotKind=BallotKind, BallotState=BallotState, confirm=ConfirmForm()),
        status))
    response.headers["Cache-Control"] = "no-store"
    return response


def _voter_label(voter: BallotVoter, ballot: Ballot) -> str:
    from ..voting.views import voter_label

    return voter_label(voter, ballot)


@bp.post("/ballots/<int:ballot_id>/voters/<int:voter_id>/assist/code")
@login_required
def assist_code(ballot_id: int, voter_id: int):
    ballot = load_ballot(ballot_id)
    voter = _voter(ballot, voter_id)
    ConfirmForm().validate_on_submit() or abort(400)
    outcome = perform(turnout.ask_assist_code, ballot, voter, actor=current_user)
    if outcome.ok:
        flash(_("A code was sent to the owner's phone %(number)s. Ask them to read it to you.",
                number=mask_phone(outcome.value)), "success")
    return redirect(url_for("turnout.assist", ballot_id=ballot.id, voter_id=voter.id))


# --- signing in at a meeting in a hall -----------------------------------------------------

@bp.get("/meetings/<int:meeting_id>/sign-in-code")
@login_required
def sign_in_code(meeting_id: int):
    """The code the hall's screen shows now, for the moderator's room page to refresh."""
    meeting = load(Meeting, meeting_id, permissions.can_run_meeting, refuse=403)
    token = turnout.sign_in_token(meeting, actor=current_user)
    link = url_for("turnout.scan", meeting_id=meeting.id, t=token, _external=True)
    response = jsonify({"qr": qr_svg(link), "seconds": turnout.SIGN_IN_WINDOW_SECONDS})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/meetings/<int:meeting_id>/scan", methods=["GET", "POST"])
@login_required
def scan(meeting_id: int):
    """Where the hall's QR leads: a button that signs the attendee in, while the code
    is current."""
    meeting = load(Meeting, meeting_id, permissions.can_enter_meeting, refuse=403)
    token = (request.values.get("t") or "")[:64]
    if request.method == "POST":
        ConfirmForm().validate_on_submit() or abort(400)
        outcome = perform(turnout.sign_in_by_scan, meeting, token, actor=current_user)
        if outcome.ok:
            flash(_("You are signed in as present in the hall.") if outcome.value is not None
                  else _("You had already signed in."), "success")
            return redirect(url_for("meetings.room", meeting_id=meeting.id))
    return render_template("turnout/scan.html", meeting=meeting, token=token, confirm=ConfirmForm(),
                           current=turnout.token_is_current(meeting, token),
                           online=meeting.form is MeetingForm.online), 200 if request.method == "GET" else 422
