"""Proposal pages: lists per place, raising, the proposal with its timeline, co-signing,
comments and the moderator's triage."""
from __future__ import annotations

from flask import (
    Blueprint,
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
from ..forms import ConfirmForm
from ..clock import end_of_local_day
from ..errors import NotFound
from ..extensions import db
from ..places.models import Place
from ..web import load, perform, readable_place
from . import service as proposals
from .forms import CallForm, CategoryForm, CommentForm, EscalateForm, MergeForm, ProposalForm, ReasonForm, TriageForm
from .lifecycle import DELIBERABLE, TRANSITIONS, TRIAGE_ACTIONS, event_label
from .models import TIER_ORDER, Category, Comment, ProposalState, Tier

bp = Blueprint("proposals", __name__)

SORTS = ("newest", "cosigned", "oldest_open")
# A list counts its matters up to this many (or the page asked for and the next): beyond,
# it says "more than".
COUNT_AT_MOST = 1000
PER_PAGE = 20


def _category_choices():
    locale = str(get_locale())
    return [(str(c.id), c.name(locale)) for c in proposals.active_categories()]


def _category(value) -> Category | None:
    return db.session.get(Category, int(value)) if str(value or "").isdigit() else None


def _place(value) -> Place | None:
    return db.session.get(Place, int(value)) if str(value or "").isdigit() else None


def _enum(enum, value):
    try:
        return enum(value) if value else None
    except ValueError:
        abort(400)


def load_proposal(proposal_id: int):
    proposal = load(proposals.Proposal, proposal_id, permissions.can_view_proposal, refuse=403)
    return proposal


@bp.get("/proposals/")
@login_required
def mine():
    """My proposals, and the places where I can raise one."""
    places = {m.household.place.id: m.household.place for m in current_user.memberships}
    raise_in = []
    for place in places.values():
        raise_in += [p for p in place.ancestors() + [place] if p.kind.value != "subdistrict" and p not in raise_in]
    rows = db.session.scalars(
        db.select(proposals.Proposal).where(proposals.Proposal.author_id == current_user.id)
        .order_by(proposals.Proposal.id.desc()).limit(100)).all()
    return render_template("proposals/mine.html", proposals=rows, raise_in=raise_in)


@bp.get("/places/<int:place_id>/proposals")
@login_required
def index(place_id: int):
    place = readable_place(place_id)
    state = _enum(ProposalState, request.args.get("state"))
    tier = _enum(Tier, request.args.get("tier"))
    category = request.args.get("category", type=int)
    call = request.args.get("call", type=int)
    sort = request.args.get("sort", "newest")
    if sort not in SORTS:
        abort(400)
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = PER_PAGE
    at_most = max(COUNT_AT_MOST, (page + 1) * per_page)
    rows, total = proposals.proposals_in(place, state=state, tier=tier, category_id=category, call_id=call,
                                         sort=sort, page=page, per_page=per_page, count_at_most=at_most)
    more, total = total > at_most, min(total, at_most)
    return render_template("proposals/index.html", place=place, proposals=rows, total=total, more=more, page=page,
                           pages=max((total + per_page - 1) // per_page, 1), categories=_category_choices(),
                           filters={"state": state.value if state else "", "tier": tier.value if tier else "",
                                    "category": category or "", "call": call or "", "sort": sort},
                           calls=proposals.calls_for(place), call_form=CallForm(),
                           can_open_call=permissions.can_open_call(current_user, place),
                           states=list(ProposalState), tiers=TIER_ORDER, sorts=SORTS,
                           can_raise=permissions.can_raise(current_user, place))


@bp.route("/places/<int:place_id>/proposals/new", methods=["GET", "POST"])
@login_required
def new(place_id: int):
    place = load(Place, place_id, permissions.can_raise, refuse=403)
    form = ProposalForm(call_id=request.args.get("call", ""))
    form.category_id.choices = _category_choices()
    open_calls = proposals.calls_for(place, open_only=True)
    form.call_id.choices = [("", "—")] + [(str(c.id), c.title) for c in open_calls]
    on_behalf = permissions.can_raise_on_behalf(current_user, place)
    status = 200
    if form.validate_on_submit():
        def raise_it():
            resident = None
            if on_behalf and form.on_behalf_of.data:
                resident = accounts.find_by_login(form.on_behalf_of.data)
                if resident is None:
                    raise NotFound(_("Nobody with this phone number or username is registered."))
            call = next((c for c in open_calls if str(c.id) == form.call_id.data), None)
            photos = [f.read() for f in (form.photos.data or []) if f and f.filename]
            return proposals.raise_proposal(place, actor=current_user, title=form.title.data, body=form.body.data,
                                            category=_category(form.category_id.data), on_behalf_of=resident,
                                            call=call, photos=photos, config=current_app.config)
        outcome = perform(raise_it)
        if outcome.ok:
            flash(_("Your matter has been raised. The moderator will look at it soon."), "success")
            return redirect(url_for("proposals.detail", proposal_id=outcome.value.id))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("proposals/new.html", place=place, form=form, on_behalf=on_behalf,
                           open_calls=open_calls), status


@bp.get("/proposals/<int:proposal_id>")
@login_required
def detail(proposal_id: int):
    proposal = proposals.read_for_page(load_proposal(proposal_id))
    triage = TriageForm(category_id=str(proposal.category_id), tier=proposal.tier.value,
                        place_id=str(proposal.place_id))
    moderate = permissions.can_moderate(current_user, proposal)
    triage.category_id.choices = _category_choices() if moderate else []   # shown to moderators only
    if moderate:
        triage.place_id.choices = [(str(p.id), p.full_name) for p in proposals.triage_places(proposal, current_user)]
    escalate = EscalateForm()
    escalate.tier.choices = [("", "—")] + [(t.value, t.label) for t in TIER_ORDER
                                           if TIER_ORDER.index(t) > TIER_ORDER.index(proposal.tier)]
    escalate.place_id.choices = [("", "—")] + [(str(p.id), p.name) for p in reversed(proposal.place.ancestors())]
    return render_template(
        "proposals/detail.html", proposal=proposal, comment_form=CommentForm(), triage_form=triage,
        reason_form=ReasonForm(), escalate_form=escalate, merge_form=MergeForm(prefix="merge"), hide_form=ReasonForm(prefix="hide"),
        confirm=ConfirmForm(), transitions=TRANSITIONS, triage_actions=TRIAGE_ACTIONS, deliberable=DELIBERABLE,
        ProposalState=ProposalState,
        moderate=moderate,
        can_cosign=permissions.can_cosign(current_user, proposal),
        cosigned=proposals.household_cosigned(current_user, proposal),
        can_comment=permissions.can_comment(current_user, proposal),
        locale=str(get_locale()), event_label=event_label, ballots=_ballots_of(proposal),
        motions=_motions_of(proposal),
    )


def _ballots_of(proposal):
    from ..voting.models import Ballot

    rows = db.session.scalars(db.select(Ballot).where(Ballot.proposal_id == proposal.id).order_by(Ballot.id))
    return [b for b in rows if permissions.can_view_ballot(current_user, b)]


def _motions_of(proposal):
    from ..motions.models import Motion

    return list(db.session.scalars(db.select(Motion).where(Motion.proposal_id == proposal.id).order_by(Motion.id)))


def _back(proposal):
    return redirect(url_for("proposals.detail", proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/cosign")
@login_required
def cosign(proposal_id: int):
    proposal = load_proposal(proposal_id)
    ConfirmForm().validate_on_submit() or abort(400)
    if perform(proposals.cosign, proposal, actor=current_user).ok:
        flash(_("Thank you: your household has co-signed. You will be told of every step of this matter."),
              "success")
    return _back(proposal)


@bp.post("/proposals/<int:proposal_id>/comments")
@login_required
def comment(proposal_id: int):
    proposal = load_proposal(proposal_id)
    form = CommentForm()
    if form.validate_on_submit():
        parent = db.session.get(Comment, form.parent_id.data) if form.parent_id.data else None
        if perform(proposals.comment, proposal, actor=current_user, body=form.body.data, parent=parent).ok:
            flash(_("Your comment has been posted."), "success")
    else:
        flash(_("Write a comment of at most 2000 characters."), "error")
    return _back(proposal)


@bp.post("/comments/<int:comment_id>/hide")
@login_required
def hide_comment(comment_id: int):
    item = load(Comment, comment_id, lambda user, c: permissions.can_view_proposal(user, c.proposal), refuse=403)
    form = ReasonForm(prefix="hide")
    if form.validate_on_submit():
        if perform(proposals.hide_comment, item, actor=current_user, reason=form.reason.data).ok:
            flash(_("The comment has been hidden."), "success")
    else:
        flash(_("Write the reason: the author will read it."), "error")
    return _back(item.proposal)


@bp.post("/proposals/<int:proposal_id>/triage")
@login_required
def triage(proposal_id: int):
    proposal = load_proposal(proposal_id)
    form = TriageForm()
    form.category_id.choices = _category_choices()
    if form.validate_on_submit():
        if perform(proposals.triage, proposal, actor=current_user, category=_category(form.category_id.data),
                   tier=_enum(Tier, form.tier.data) or proposal.tier, place=_place(form.place_id.data)).ok:
            flash(_("Accepted for %(tier)s in %(place)s. Residents can discuss it now; when it is ready, put it to "
                    "a meeting or a vote.", tier=proposal.tier.label, place=proposal.place.name), "success")
    return _back(proposal)


@bp.post("/proposals/<int:proposal_id>/escalate")
@login_required
def escalate(proposal_id: int):
    proposal = load_proposal(proposal_id)
    form = EscalateForm()
    if form.validate_on_submit():
        if perform(proposals.escalate, proposal, actor=current_user, reason=form.reason.data,
                   tier=_enum(Tier, form.tier.data), place=_place(form.place_id.data)).ok:
            flash(_("The matter has been escalated."), "success")
    else:
        flash(_("Write the reason: the author will read it."), "error")
    return _back(proposal)


@bp.post("/proposals/<int:proposal_id>/<any(answer, refer, decline):action>")
@login_required
def settle(proposal_id: int, action: str):
    proposal = load_proposal(proposal_id)
    form = ReasonForm()
    if form.validate_on_submit():
        if perform(proposals.transition, proposal, action, actor=current_user, reason=form.reason.data).ok:
            flash({"answer": _("Settled: the author and the co-signers have been told your answer."),
                   "refer": _("Referred: the author and the co-signers have been told where it went."),
                   "decline": _("Declined: the author and the co-signers have been told the reason.")}[action],
                  "success")
    else:
        flash(_("Write the reason: the author will read it."), "error")
    return _back(proposal)


@bp.post("/proposals/<int:proposal_id>/deliberate")
@login_required
def deliberate(proposal_id: int):
    """民主议事 begins: the matter goes to a meeting or a vote."""
    proposal = load_proposal(proposal_id)
    ConfirmForm().validate_on_submit() or abort(400)
    if perform(proposals.transition, proposal, "deliberate", actor=current_user).ok:
        flash(_("The matter is now under deliberation: schedule a meeting or a vote on it."), "success")
    return _back(proposal)


@bp.post("/proposals/<int:proposal_id>/merge")
@login_required
def merge(proposal_id: int):
    proposal = load_proposal(proposal_id)
    form = MergeForm(prefix="merge")
    if form.validate_on_submit():
        into = db.session.get(proposals.Proposal, form.into.data)
        if into is None:
            flash(_("No such proposal."), "error")
        elif perform(proposals.merge, proposal, into, actor=current_user, reason=form.reason.data).ok:
            flash(_("Merged. The matter continues as number %(n)d.", n=into.id), "success")
            return redirect(url_for("proposals.detail", proposal_id=into.id))
    else:
        flash(_("Give the number of the matter and the reason."), "error")
    return _back(proposal)


@bp.post("/comments/<int:comment_id>/report")
@login_required
def report_comment(comment_id: int):
    item = load(Comment, comment_id, lambda user, c: permissions.can_view_proposal(user, c.proposal), refuse=403)
    ConfirmForm().validate_on_submit() or abort(400)
    if perform(proposals.report_comment, item, actor=current_user).ok:
        flash(_("Thank you. The moderator will look at this comment."), "success")
    return _back(item.proposal)


@bp.post("/places/<int:place_id>/calls")
@login_required
def open_call(place_id: int):
    place = load(Place, place_id)
    form = CallForm()
    if form.validate_on_submit():
        closes_at = end_of_local_day(form.closes_on.data)
        outcome = perform(proposals.open_call, place, actor=current_user, title=form.title.data,
                          description=form.description.data, closes_at=closes_at)
        if outcome.ok:
            flash(_("The call is open until %(date)s.", date=form.closes_on.data.isoformat()), "success")
            return redirect(url_for("proposals.index", place_id=place.id, call=outcome.value.id))
    else:
        flash(_("Give the theme and the last day."), "error")
    return redirect(url_for("proposals.index", place_id=place.id))


@bp.get("/photos/<token>.jpg")
@login_required
def photo(token: str):
    """Photos are served from outside static/, by their random name only."""
    from .models import ProposalPhoto
    from ..photos import photo_dir

    item = db.session.scalar(db.select(ProposalPhoto).where(ProposalPhoto.token == token)) or abort(404)
    if not permissions.can_view_proposal(current_user, item.proposal):
        abort(403)
    response = send_from_directory(photo_dir(current_app.config), f"{item.token}.jpg", mimetype="image/jpeg",
                                   max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/admin/categories", methods=["GET", "POST"])
@login_required
def categories():
    if not permissions.can_edit_categories(current_user):
        abort(403)
    status = 200
    if request.method == "POST":
        category_id = request.form.get("category_id", type=int)
        category = db.session.get(Category, category_id) if category_id else None
        if category_id and category is None:
            abort(404)
        form = CategoryForm(prefix=f"c{category_id or 'new'}")
        if form.validate_on_submit():
            outcome = perform(proposals.save_category, category, actor=current_user, name_zh=form.name_zh.data,
                              name_en=form.name_en.data, position=form.position.data or 0,
                              active=bool(form.active.data))
            if outcome.ok:
                flash(_("The category %(name)s is saved; residents choose from the active ones when they raise a "
                        "matter.", name=outcome.value.name_zh), "success")
                return redirect(url_for("proposals.categories"))
            status = outcome.status
        else:
            flash(_("Give the name in both languages."), "error")
            status = 422
    rows = db.session.scalars(db.select(Category).order_by(Category.position, Category.id)).all()
    forms = [(c, CategoryForm(prefix=f"c{c.id}", obj=c, formdata=None)) for c in rows]
    return render_template("proposals/categories.html", forms=forms,
                           new_form=CategoryForm(prefix="cnew", formdata=None)), status
