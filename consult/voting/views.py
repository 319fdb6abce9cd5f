"""Ballot pages: the moderator drafts, opens and closes; voters cast on their phones; grid
workers enter paper ballots; everyone reads a result that explains itself."""
from __future__ import annotations

import csv
import io
import secrets

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..accounts import service as accounts
from ..forms import ConfirmForm
from ..clock import utcnow
from ..extensions import db
from ..i18n import listed
from ..pdf import render_pdf
from ..places.models import Household, Place
from ..proposals.models import Proposal
from ..web import confirm_first, load, perform, readable_place, run_due
from . import results
from . import service as voting
from .forms import BallotForm, ExtendForm, OpenForm, PaperForm
from .models import (
    Ballot,
    BallotKind,
    BallotState,
    BallotVoter,
    Channel,
    Electorate,
    NonVoters,
    ResultStage,
    Secrecy,
    VoteChanges,
)
from .rules import RULES

bp = Blueprint("voting", __name__)

PER_PAGE = 50


def load_ballot(ballot_id: int) -> Ballot:
    """The ballot, or 404 for one the viewer may not see (not even said to exist). A
    ballot over a period whose time has come opens or closes first, but only once the
    viewer is known to see it (open, for one due to open)."""
    ballot = load(Ballot, ballot_id, lambda user, b: permissions.can_view_ballot(user, b, once_open=voting.is_due(b)))
    if voting.is_due(ballot):
        run_due(voting.advance, ballot)
        if not permissions.can_view_ballot(current_user, ballot):
            abort(404)
    if results.is_due(ballot):
        run_due(results.advance, ballot)
    return ballot


def _back(ballot: Ballot):
    return redirect(url_for("voting.detail", ballot_id=ballot.id))


@bp.get("/ballots/")
@login_required
def mine():
    return render_template("voting/index.html", ballots=voting.ballots_for(current_user), place=None,
                           can_draft=False)


@bp.get("/places/<int:place_id>/ballots")
@login_required
def index(place_id: int):
    place = readable_place(place_id)
    ballots = [b for b in voting.ballots_in(place) if permissions.can_view_ballot(current_user, b)]
    return render_template("voting/index.html", ballots=ballots, place=place,
                           can_draft=permissions.can_draft_ballot(current_user, place))


@bp.route("/places/<int:place_id>/ballots/new", methods=["GET", "POST"])
@login_required
def new(place_id: int):
    place = load(Place, place_id, permissions.can_draft_ballot, refuse=403)
    proposal = None
    if request.args.get("proposal", "").isdigit():
        proposal = db.session.get(Proposal, int(request.args["proposal"]))
    form = BallotForm(question=proposal.title[:200] if proposal and request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        outcome = perform(
            voting.draft_ballot, place, actor=current_user, question=form.question.data,
            kind=BallotKind(form.kind.data), options=(form.options.data or "").splitlines(),
            max_choices=form.max_choices.data or 1, electorate=Electorate(form.electorate.data),
            secrecy=Secrecy(form.secrecy.data), rule=form.rule.data, proposal=proposal,
            opens_at=form.opens_at.data,
            closes_at=form.closes_at.data, changes=VoteChanges(form.changes.data),
            non_voters=NonVoters(form.non_voters.data), non_voters_reference=form.non_voters_reference.data)
        if outcome.ok:
            flash(_("The ballot is drafted. Check it, then open it."), "success")
            return _back(outcome.value)
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("voting/new.html", place=place, form=form, proposal=proposal), status


@bp.get("/ballots/<int:ballot_id>")
@login_required
def detail(ballot_id: int):
    return _detail_page(load_ballot(ballot_id))


def _detail_page(ballot: Ballot, receipt: str = "") -> str:
    """The ballot's page; with the receipt of a secret vote just cast, shown this once."""
    voter = voting.voter_of(ballot, current_user) if ballot.state is not BallotState.draft else None
    mine = voting.participation_of(ballot, voter)
    households = []
    if ballot.electorate is Electorate.households and ballot.state is BallotState.open and mine is None:
        households = [m.household for m in current_user.memberships if m.household.place.is_within(ballot.place)]
    run = permissions.can_run_ballot(current_user, ballot)
    counted = None
    if ballot.state is BallotState.open and (run and ballot.secrecy is Secrecy.named):
        counted = voting.tally(ballot)   # the live count of a named ballot, for those who run it
    turnout = voting.turnout(ballot) if ballot.state is not BallotState.draft else None
    eligible = voting.electorate_size(ballot) if turnout else None
    return render_template(
        "voting/detail.html", ballot=ballot, voter=voter, mine=mine, households=households, run=run,
        counted=counted, turnout=turnout, eligible=eligible, rule=RULES[ballot.rule], client_key=secrets.token_hex(16),
        paper=permissions.can_enter_paper(current_user, ballot), confirm=ConfirmForm(), open_form=OpenForm(),
        receipt=receipt, locale=str(get_locale()), Channel=Channel,
        BallotState=BallotState, BallotKind=BallotKind, Electorate=Electorate, Secrecy=Secrecy,
        progress=results.participation(ballot) if ballot.state is BallotState.open else [],
        shown_result=results.shown_result(ballot), staged=results.staged(ballot), ResultStage=ResultStage,
        may_change=_may_change(ballot, mine), extend_form=ExtendForm(),
        may_extend=run and ballot.state is BallotState.open and ballot.extended_at is None
        and ballot.closes_at is not None and results.staged(ballot) and results.short_of_participation(ballot),
        objections_open=results.objections_open(ballot),
        record=ballot.stage is not None and (run or voter is not None))


def _may_change(ballot: Ballot, mine) -> bool:
    """Whether the page offers the viewer to change their vote, once, before the close."""
    return (mine is not None and ballot.state is BallotState.open and ballot.changes is VoteChanges.once
            and mine.changed_at is None and mine.channel is Channel.online and mine.cast_by_id == current_user.id)


def _not_kept(body: str):
    """A page with a receipt on it: kept by no cache, and reached by a POST, so that the
    receipt is in no address (a browser's history, a server's logs, a Referer)."""
    response = make_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/ballots/<int:ballot_id>/open")
@login_required
def open_(ballot_id: int):
    ballot = load_ballot(ballot_id)
    form = OpenForm()
    form.validate_on_submit() or abort(400)

    def open_it():
        attendees = []
        if ballot.electorate is Electorate.attendees:
            attendees = accounts.people_by_handle((form.attendees.data or "").splitlines())
        return voting.open_ballot(ballot, actor=current_user, attendees=attendees)
    if perform(open_it).ok:
        flash(_("The ballot is open. Voters have been told."), "success")
    return _back(ballot)


@bp.post("/ballots/<int:ballot_id>/close")
@login_required
def close(ballot_id: int):
    ballot = load_ballot(ballot_id)
    ConfirmForm().validate_on_submit() or abort(400)
    if not permissions.can_run_ballot(current_user, ballot):
        abort(403)
    early = voting.closes_early(ballot)
    reason = (request.form.get("reason") or "").strip()
    asking = confirm_first(
        question=_("Close the ballot and count the votes?"),
        consequence=_("Once closed, nobody can vote any more and the result is frozen: this cannot be undone."),
        back=url_for("voting.detail", ballot_id=ballot.id),
        reason_label=_("The voters were told it closes on %(when)s. Why close it now? (goes on the record)",
                       when=format_datetime(ballot.closes_at, "short")) if early else None,
        reason_required=early,
        error=_("Give the reason for closing early.") if early and request.form.get("confirmed") and not reason
        else None)
    if asking is not None:
        return asking
    if perform(voting.close_ballot, ballot, actor=current_user, reason=reason or None).ok:
        flash(_("The ballot is closed and counted."), "success")
    return _back(ballot)


@bp.post("/ballots/<int:ballot_id>/cast")
@login_required
def cast(ballot_id: int):
    ballot = load_ballot(ballot_id)
    ConfirmForm().validate_on_submit() or abort(400)
    household = None
    if request.form.get("household", "").isdigit():
        household = db.session.get(Household, int(request.form["household"]))
    outcome = perform(voting.cast, ballot, actor=current_user, choice=request.form.getlist("choice"),
                      client_key=(request.form.get("client_key") or "")[:64] or None, household=household,
                      receipt=(request.form.get("receipt") or "")[:64] or None)
    if not outcome.ok:
        return _back(ballot)
    flash(_("Your vote is changed.") if request.form.get("change") else _("Your vote is counted. Thank you."),
          "success")
    if ballot.secrecy is Secrecy.secret and outcome.value:
        # Shown once, in this response, and kept nowhere but in the ballot box: the voter's
        # way to find their vote. A retry of the same cast finds it counted, without it.
        return _not_kept(_detail_page(ballot, receipt=outcome.value))
    return _back(ballot)


@bp.get("/ballots/<int:ballot_id>/cast")
@login_required
def cast_page(ballot_id: int):
    """The address the answer to a cast was shown under, opened again: the ballot's page."""
    return _back(load_ballot(ballot_id))


def _require_paper(ballot: Ballot):
    if not permissions.can_enter_paper(current_user, ballot):
        abort(403)


@bp.get("/ballots/<int:ballot_id>/voters")
@login_required
def voters(ballot_id: int):
    ballot = load_ballot(ballot_id)
    _require_paper(ballot)
    page = max(request.args.get("page", 1, type=int), 1)
    q = request.args.get("q", "")
    rows, total = voting.voters_page(ballot, q=q, page=page, per_page=PER_PAGE)
    return render_template("voting/voters.html", ballot=ballot, rows=rows, total=total, q=q, page=page,
                           pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), Channel=Channel,
                           BallotState=BallotState, voter_label=voter_label)


def voter_label(voter: BallotVoter, ballot: Ballot) -> str:
    """How a voter is named on the desk and the signed list: the address as read inside the
    ballot's place (not the whole address on every line), and the person."""
    if voter.household is not None:
        names = listed(m.user.name for m in voter.household.members)
        return f"{voter.household.address_within(ballot.place)} {names}"
    person = voter.user
    units = [m.household.address_within(ballot.place) for m in person.memberships
             if m.is_designated_voter] if person else []
    return " ".join(units + [person.name if person else ""])


@bp.route("/ballots/<int:ballot_id>/voters/<int:voter_id>/paper", methods=["GET", "POST"])
@login_required
def paper(ballot_id: int, voter_id: int):
    ballot = load_ballot(ballot_id)
    voter = db.session.get(BallotVoter, voter_id)
    if voter is None or voter.ballot_id != ballot.id:
        abort(404)
    if not permissions.can_enter_paper(current_user, ballot, voter):
        abort(403)
    form = PaperForm()
    status, choice_error = 200, None
    if form.is_submitted():
        # Every missing part is named at once, not one per try.
        valid = form.validate()
        photo = form.photo.data.read() if form.photo.data and form.photo.data.filename else b""
        choice = request.form.getlist("choice")
        if not photo:
            form.photo.errors = [*form.photo.errors, _("Add a photo of the signed paper ballot.")]
        if not choice:
            choice_error = _("Mark the vote as it is on the signed paper.")
        status = 422
        if valid and photo and choice:
            outcome = perform(voting.enter_paper, ballot, voter, actor=current_user, choice=choice, photo=photo,
                              witness=form.witness.data, config=current_app.config)
            if outcome.ok:
                flash(_("The paper ballot is entered. Next: find the next voter below."), "success")
                return redirect(url_for("voting.voters", ballot_id=ballot.id))
            status = outcome.status
    return render_template("voting/paper.html", ballot=ballot, voter=voter, form=form,
                           label=voter_label(voter, ballot),
                           done=voting.participation_of(ballot, voter), BallotKind=BallotKind,
                           choice_error=choice_error), status


@bp.get("/ballots/<int:ballot_id>/evidence/<token>.jpg")
@login_required
def evidence(ballot_id: int, token: str):
    ballot = load_ballot(ballot_id)
    _require_paper(ballot)
    from ..photos import photo_dir

    found = db.session.scalar(db.select(voting.Participation.id).where(
        voting.Participation.ballot_id == ballot.id, voting.Participation.evidence == token))
    if found is None:
        abort(404)
    response = send_from_directory(photo_dir(current_app.config), f"{token}.jpg", mimetype="image/jpeg")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def _signed_rows(ballot: Ballot):
    """Every voter with their vote, for the signed list."""
    choices = ballot.choices()
    rows, _total = voting.voters_page(ballot, per_page=10 ** 9)
    for n, (voter, part) in enumerate(rows, 1):
        vote = listed(choices.get(k, _("Blank")) for k in part.choice.split(",")) if part else ""
        yield n, voter_label(voter, ballot), voter, part, vote


def _require_signed_list(ballot: Ballot):
    if not permissions.can_run_ballot(current_user, ballot) or ballot.secrecy is not Secrecy.named:
        abort(403)
    if ballot.state is BallotState.draft:
        abort(404)


@bp.get("/ballots/<int:ballot_id>/signed-list.csv")
@login_required
def signed_list(ballot_id: int):
    """The named record for the paper file: every voter, their weight, what they voted,
    how and when, with a column for a signature. Never a phone number."""
    ballot = load_ballot(ballot_id)
    _require_signed_list(ballot)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("No."), _("Voter"), _("Building"), _("Area (m²)"), _("Vote"), _("How"), _("When"),
                     _("Witness"), _("Signature")])
    for n, label, voter, part, vote in _signed_rows(ballot):
        writer.writerow([n, label, voter.building.full_name if voter.building else "", voter.area, vote,
                         part.channel.label if part else "", format_datetime(part.at, "short") if part else "",
                         part.witness or "" if part else "", ""])
    # A BOM so that Excel, which most offices open it with, reads the Chinese as UTF-8.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=ballot-{ballot.id}-signed-list.csv"})


@bp.get("/ballots/<int:ballot_id>/signed-list.pdf")
@login_required
def signed_list_pdf(ballot_id: int):
    """The same list as an A4 PDF to print, sign and file."""
    ballot = load_ballot(ballot_id)
    _require_signed_list(ballot)
    pdf = render_pdf("voting/signed_list_pdf.html", ballot=ballot, rule=RULES[ballot.rule],
                     rows=list(_signed_rows(ballot)), locale=str(get_locale()), now=utcnow())
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename=ballot-{ballot.id}-signed-list.pdf"})


@bp.route("/ballots/<int:ballot_id>/box", methods=["GET", "POST"])
@login_required
def box(ballot_id: int):
    """A closed secret ballot's box, published: every receipt with its choice, so that each
    voter can find their own vote and anyone can recount. A receipt is looked up by a POST,
    never in the address."""
    ballot = load_ballot(ballot_id)
    if ballot.secrecy is not Secrecy.secret or ballot.state is not BallotState.closed:
        abort(404)
    form = ConfirmForm()
    receipt, page = "", max(request.args.get("page", 1, type=int), 1)
    if request.method == "POST":
        form.validate_on_submit() or abort(400)
        receipt, page = (request.form.get("receipt") or "").strip().lower()[:32], 1
    rows, total = voting.box_page(ballot, receipt=receipt, page=page, per_page=PER_PAGE)
    body = render_template("voting/box.html", ballot=ballot, rows=rows, total=total, receipt=receipt, page=page,
                           pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), choices=ballot.choices(), form=form)
    return _not_kept(body) if receipt else body
