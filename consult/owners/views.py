"""Pages of an owners' decision before the vote: the register and its objections, the
notice with its delivery log and postings, proxies and property certificates."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, \
    send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from .. import permissions
from ..accounts.models import User
from ..extensions import db
from ..forms import ConfirmForm
from ..pdf import render_pdf
from ..places.models import Place, Relation
from ..voting.models import Ballot, BallotKind, BallotState, Electorate
from ..voting.rules import RULES
from ..web import load, perform, readable_place
from . import service as owners
from .forms import CertificateForm, NoticeForm, ObjectionForm, PostingForm, ProxyForm, ProxyPaperForm, SettleForm, \
    SignedProxyForm
from .models import CertificateClaim, ObjectionState, Proxy, RegisterEntry, RegisterObjection

bp = Blueprint("owners", __name__)


def load_owners_ballot(ballot_id: int) -> Ballot:
    ballot = load(Ballot, ballot_id, permissions.can_view_register)
    if ballot.electorate is not Electorate.owners:
        abort(404)
    return ballot


def load_proxies_ballot(ballot_id: int) -> Ballot:
    """An owners' ballot, for its owners and staff, and for a proxy who holds a vote in it
    (who may live elsewhere)."""
    ballot = load(Ballot, ballot_id, lambda user, b: permissions.can_view_register(user, b)
                  or (b.state is not BallotState.draft and bool(owners.held_in(b, user))))
    if ballot.electorate is not Electorate.owners:
        abort(404)
    return ballot


def _flash_errors(form) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


def _file(field) -> bytes:
    return field.data.read() if field.data and getattr(field.data, "filename", "") else b""


@bp.app_context_processor
def _panel():
    """The owners' procedure on a ballot's page (``owners/_ballot.html``)."""
    return {"owners_panel": panel, "owners_proxy_name": proxy_name}


def proxy_name(ballot: Ballot, participation) -> str:
    """The proxy who cast a vote ("由…代为投票"), as the viewer may read the name."""
    from ..web import person_name

    authorisation = owners.proxy_of_vote(ballot, participation.voter_id)
    if authorisation is None or authorisation.proxy is None:
        return person_name(participation.cast_by, ballot.place)
    return person_name(authorisation.proxy, ballot.place)


def panel(ballot: Ballot) -> dict | None:
    if ballot.electorate is not Electorate.owners or not current_user.is_authenticated:
        return None
    register = owners.register_of(ballot)
    return {"register": register, "frozen": register is not None and register.frozen_at is not None,
            "notice": owners.notice_of(ballot), "held": owners.held_in(ballot, current_user)
            if ballot.state is BallotState.open else [],
            "viewer_sees": permissions.can_view_register(current_user, ballot),
            "run": permissions.can_run_ballot(current_user, ballot),
            "binding": current_app.config["OWNERS_CERTIFICATE_BINDING"],
            "owner": permissions.is_owner_in(current_user, ballot.place)}


# --- the register ------------------------------------------------------------------------

@bp.get("/ballots/<int:ballot_id>/register")
@login_required
def register(ballot_id: int):
    ballot = load_owners_ballot(ballot_id)
    reg = owners.register_of(ballot)
    rows = owners.entry_rows(reg, current_user) if reg else []
    return render_template("owners/register.html", ballot=ballot, register=reg, rows=rows,
                           run=permissions.can_run_ballot(current_user, ballot),
                           settles=permissions.can_settle_objections(current_user, ballot),
                           can_object=reg is not None and owners.in_check_period(reg)
                           and ballot.state is BallotState.draft
                           and permissions.is_owner_in(current_user, ballot.place),
                           open_count=owners.open_objections(reg) if reg else 0,
                           objection_form=ObjectionForm(), settle_form=SettleForm(), confirm=ConfirmForm(),
                           ObjectionState=ObjectionState, BallotState=BallotState)


@bp.post("/ballots/<int:ballot_id>/register/publish")
@login_required
def publish_register(ballot_id: int):
    ballot = load_owners_ballot(ballot_id)
    ConfirmForm().validate_on_submit() or abort(400)
    if perform(owners.publish_register, ballot, actor=current_user).ok:
        flash(_("The register is published to the owners for checking."), "success")
    return redirect(url_for("owners.register", ballot_id=ballot.id))


@bp.post("/ballots/<int:ballot_id>/register/entries/<int:entry_id>/object")
@login_required
def object_(ballot_id: int, entry_id: int):
    ballot = load_owners_ballot(ballot_id)
    entry = db.session.get(RegisterEntry, entry_id)
    if entry is None or entry.register.ballot_id != ballot.id:
        abort(404)
    form = ObjectionForm()
    if not form.validate_on_submit():
        _flash_errors(form)
    elif perform(owners.object_to, entry, actor=current_user, reason=form.reason.data).ok:
        flash(_("Your objection is recorded. An administrator will answer it before the register is frozen."),
              "success")
    return redirect(url_for("owners.register", ballot_id=ballot.id))


@bp.post("/ballots/<int:ballot_id>/register/objections/<int:objection_id>/settle")
@login_required
def settle(ballot_id: int, objection_id: int):
    ballot = load_owners_ballot(ballot_id)
    objection = db.session.get(RegisterObjection, objection_id)
    if objection is None or objection.register.ballot_id != ballot.id:
        abort(404)
    if not permissions.can_settle_objections(current_user, ballot):
        abort(403)
    form = SettleForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for("owners.register", ballot_id=ballot.id))
    owner = None
    if form.owner.data:
        handle = form.owner.data.strip()
        owner = db.session.scalar(select(User).where(or_(User.phone == handle, User.username == handle)))
        if owner is None:
            flash(_("No account has this mobile number or user name."), "error")
            return redirect(url_for("owners.register", ballot_id=ballot.id))
    if perform(owners.settle, objection, actor=current_user, upheld=form.decision.data == "upheld",
               answer=form.answer.data, area=form.area.data, owner=owner).ok:
        flash(_("The objection is settled; the owner who raised it is told."), "success")
    return redirect(url_for("owners.register", ballot_id=ballot.id))


# --- the notice --------------------------------------------------------------------------

@bp.route("/ballots/<int:ballot_id>/notice", methods=["GET", "POST"])
@login_required
def notice(ballot_id: int):
    ballot = load_owners_ballot(ballot_id)
    run = permissions.can_run_ballot(current_user, ballot)
    form = NoticeForm()
    status = 200
    if request.method == "POST":
        run or abort(403)
        if form.validate_on_submit():
            documents = [f.read() for f in form.documents.data or [] if getattr(f, "filename", "")]
            outcome = perform(owners.publish_notice, ballot, actor=current_user, matter=form.matter.data,
                              documents=documents, config=current_app.config)
            if outcome.ok:
                flash(_("The notice is sent to every owner. The delivery log shows whom it reached."), "success")
                return redirect(url_for("owners.notice", ballot_id=ballot.id))
            status = outcome.status
        else:
            status = 422
    return render_template("owners/notice.html", ballot=ballot, notice=owners.notice_of(ballot), form=form,
                           run=run, rule=RULES[ballot.rule], register=owners.register_of(ballot),
                           days=current_app.config["OWNERS_NOTICE_DAYS"],
                           posts=permissions.can_post_notice(current_user, ballot)), status


@bp.get("/ballots/<int:ballot_id>/notice/print.pdf")
@login_required
def notice_pdf(ballot_id: int):
    """The printable A4 notice, to post where a channel did not reach."""
    ballot = load_owners_ballot(ballot_id)
    found = owners.notice_of(ballot) or abort(404)
    pdf = render_pdf("owners/notice_pdf.html", ballot=ballot, notice=found, rule=RULES[ballot.rule],
                     register=owners.register_of(ballot))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename=ballot-{ballot.id}-notice.pdf"})


@bp.route("/ballots/<int:ballot_id>/notice/log", methods=["GET", "POST"])
@login_required
def delivery_log(ballot_id: int):
    """For staff: per owner, each channel and its status; the postings, and a form to
    record one."""
    ballot = load_owners_ballot(ballot_id)
    if not permissions.can_post_notice(current_user, ballot):
        abort(403)
    found = owners.notice_of(ballot) or abort(404)
    form = PostingForm()
    spots = [ballot.place] + list(db.session.scalars(ballot.place.descendants_query(include_self=False)
                                                     .order_by(Place.path)))
    form.place.choices = [(p.id, p.full_name) for p in spots]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            outcome = perform(owners.record_posting, found, actor=current_user,
                              place=db.session.get(Place, form.place.data), spot=form.spot.data,
                              posted_at=form.posted_at.data, photo=_file(form.photo), config=current_app.config)
            if outcome.ok:
                flash(_("The posting is recorded with its photo."), "success")
                return redirect(url_for("owners.delivery_log", ballot_id=ballot.id))
            status = outcome.status
        else:
            status = 422
    rows = owners.delivery_log(found)
    return render_template("owners/log.html", ballot=ballot, notice=found, rows=rows, form=form,
                           unreached=sum(1 for r in rows if not r["reached"] and not r["postings"])), status


@bp.get("/ballots/<int:ballot_id>/owners/photos/<token>.jpg")
@login_required
def photo(ballot_id: int, token: str):
    """A document of the notice (for every reader of the register), a posting's or a
    signed authorisation's photo (for staff)."""
    from ..photos import photo_dir

    ballot = load_owners_ballot(ballot_id)
    found = owners.notice_of(ballot)
    allowed = found is not None and token in (found.documents or [])
    if not allowed and permissions.can_post_notice(current_user, ballot):
        allowed = (found is not None and any(p.photo == token for p in found.postings)) or any(
            p.photo == token for p in owners.proxies_in(ballot))
    if not allowed or not token.isalnum():
        abort(404)
    response = send_from_directory(photo_dir(current_app.config), f"{token}.jpg", mimetype="image/jpeg")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# --- proxies -----------------------------------------------------------------------------

@bp.route("/ballots/<int:ballot_id>/proxies", methods=["GET", "POST"])
@login_required
def proxies(ballot_id: int):
    """The owner authorises a proxy; staff record a signed authorisation; the proxy finds
    the votes they hold."""
    ballot = load_proxies_ballot(ballot_id)
    staff = permissions.can_record_proxy(current_user, ballot.place)
    owner_here = permissions.is_owner_in(current_user, ballot.place)
    form = ProxyForm(prefix="mine")
    signed = SignedProxyForm(prefix="signed")
    status = 200
    if request.method == "POST":
        which = request.form.get("which")
        used = signed if which == "signed" else form
        if which == "signed" and not staff:
            abort(403)
        if used.validate_on_submit():
            owner = current_user
            if which == "signed":
                handle = used.owner.data.strip()
                owner = db.session.scalar(select(User).where(or_(User.phone == handle, User.username == handle)))
            if owner is None:
                flash(_("No account has this mobile number or user name."), "error")
                status = 422
            else:
                outcome = perform(owners.authorise_proxy, ballot.place, owner, actor=current_user,
                                  proxy=used.proxy.data, ballot=ballot if used.scope.data == "ballot" else None,
                                  valid_until=used.valid_until.data if used.scope.data == "period" else None,
                                  photo=_file(signed.photo) if which == "signed" else None,
                                  config=current_app.config)
                if outcome.ok:
                    flash(_("The proxy is authorised. They can vote for the owner once the ballot opens; it can be "
                            "revoked until they vote."), "success")
                    return redirect(url_for("owners.proxies", ballot_id=ballot.id))
                status = outcome.status
        else:
            status = 422
    return render_template("owners/proxies.html", ballot=ballot, form=form, signed=signed, staff=staff,
                           owner_here=owner_here, mine=owners.proxies_of(current_user) if owner_here else [],
                           held=owners.held_in(ballot, current_user),
                           everyone=owners.proxies_in(ballot) if staff else [], confirm=ConfirmForm(),
                           proxy_votes=owners.proxy_votes, BallotState=BallotState, BallotKind=BallotKind), status


@bp.post("/proxies/<int:proxy_id>/revoke")
@login_required
def revoke(proxy_id: int):
    authorisation = load(Proxy, proxy_id, lambda user, p: user.id == p.owner_id
                         or permissions.can_record_proxy(user, p.place))
    ConfirmForm().validate_on_submit() or abort(400)
    if perform(owners.revoke_proxy, authorisation, actor=current_user).ok:
        flash(_("The proxy is revoked."), "success")
    back = request.form.get("ballot", "")
    return redirect(url_for("owners.proxies", ballot_id=int(back)) if back.isdigit() else url_for("main.index"))


@bp.post("/ballots/<int:ballot_id>/proxies/<int:owner_id>/cast")
@login_required
def proxy_cast(ballot_id: int, owner_id: int):
    ballot = load_proxies_ballot(ballot_id)
    ConfirmForm().validate_on_submit() or abort(400)
    if perform(owners.cast_by_proxy, ballot, owner_id, actor=current_user, choice=request.form.getlist("choice")).ok:
        flash(_("The vote is counted as the owner's, cast by you as their proxy."), "success")
    return redirect(url_for("owners.proxies", ballot_id=ballot.id))


@bp.route("/ballots/<int:ballot_id>/proxies/<int:proxy_id>/paper", methods=["GET", "POST"])
@login_required
def proxy_paper(ballot_id: int, proxy_id: int):
    """On the paper desk: a paper ballot signed by a proxy."""
    ballot = load_owners_ballot(ballot_id)
    if not permissions.can_enter_paper(current_user, ballot):
        abort(403)
    authorisation = load(Proxy, proxy_id)
    if authorisation.ballot_id not in (None, ballot.id):
        abort(404)
    form = ProxyPaperForm()
    status = 200
    if form.is_submitted():
        status = 422
        proxy_user = authorisation.proxy or db.session.scalar(select(User).where(
            User.phone == authorisation.proxy_phone))
        if form.validate() and proxy_user is not None:
            outcome = perform(owners.enter_proxy_paper, ballot, authorisation.owner_id, proxy_user,
                              actor=current_user, choice=request.form.getlist("choice"), photo=_file(form.photo),
                              witness=form.witness.data, config=current_app.config)
            if outcome.ok:
                flash(_("The paper ballot signed by the proxy is entered."), "success")
                return redirect(url_for("owners.proxies", ballot_id=ballot.id))
            status = outcome.status
    return render_template("owners/proxy_paper.html", ballot=ballot, authorisation=authorisation, form=form,
                           BallotKind=BallotKind), status


# --- property certificates ------------------------------------------------------------------

@bp.route("/owners/certificate", methods=["GET", "POST"])
@login_required
def certificate():
    """An owner binds their account to their units by the property certificate number."""
    units = [m.household for m in current_user.memberships if m.relation is Relation.owner]
    form = CertificateForm()
    form.household.choices = [(h.id, h.address) for h in units]
    status = 200
    if form.validate_on_submit():
        household = next(h for h in units if h.id == form.household.data)
        outcome = perform(owners.claim_certificate, household, actor=current_user, number=form.number.data)
        if outcome.ok:
            flash(_("Received. Staff will check the number against the register."), "success")
            return redirect(url_for("owners.certificate"))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    claims = db.session.scalars(select(CertificateClaim).where(CertificateClaim.user_id == current_user.id)
                                .order_by(CertificateClaim.id.desc())).all()
    return render_template("owners/certificate.html", form=form, claims=claims, units=units,
                           binding=current_app.config["OWNERS_CERTIFICATE_BINDING"]), status


@bp.get("/places/<int:place_id>/certificates")
@login_required
def certificates(place_id: int):
    place = readable_place(place_id)
    if not permissions.moderates(current_user, place):
        abort(403)
    return render_template("owners/certificates.html", place=place, claims=owners.pending_claims(place))


@bp.post("/owners/certificates/<int:claim_id>/review")
@login_required
def review(claim_id: int):
    claim = load(CertificateClaim, claim_id, lambda user, c: permissions.can_review_certificate(user, c.household),
                 refuse=403)
    ConfirmForm().validate_on_submit() or abort(400)
    if perform(owners.review_claim, claim, actor=current_user, approve=request.form.get("approve") == "1").ok:
        flash(_("The claim is reviewed."), "success")
    return redirect(url_for("owners.certificates", place_id=claim.household.place_id))

