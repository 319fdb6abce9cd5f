"""The resources of ``/api/v1``: load the record as its page does, check as its page does,
call the same service, give the answer through a schema. No rule lives here."""
from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from .. import permissions
from ..clock import end_of_local_day
from ..database import unit_of_work
from ..errors import InvalidInput, NotAllowed, NotFound
from ..extensions import db
from ..places.models import Place
from . import schemas as s
from . import service
from .http import (PREFIX, act, bp, load, needs, offset_cursor, openapi, page_of, paginate, problem, public,
                   read_offset, readable_place, replayed, token, viewer)

BEARER = [{"bearer": []}, {"client_credentials": []}]


def _place_ref(place) -> dict | None:
    return None if place is None else {"id": place.id, "name": place.name, "kind": place.kind.value}


def _enum(enum, value, field):
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        raise InvalidInput(_("Unknown value: %(value)s.", value=value), field=field)


def _reachable(place) -> bool:
    return service.reaches(token(), place)


# --- the documents and the token endpoint ---------------------------------------------------------

@bp.route(f"{PREFIX}/openapi.json", tags=["documents"])
@bp.doc(responses={"200": {"description": "The OpenAPI document",
                           "content": {"application/json": {"schema": {"type": "object"}}}}})
@public
def openapi_document():
    """This API's OpenAPI 3.1 document."""
    return openapi.spec.to_dict()


@bp.route(f"{PREFIX}/docs", tags=["documents"])
@bp.doc(responses={"200": {"description": "The document as a page",
                           "content": {"text/html": {"schema": {"type": "string"}}}}})
@public
def docs():
    """The OpenAPI document as a page to read (no scripts, nothing fetched from elsewhere)."""
    spec = openapi.spec.to_dict()
    return render_template("api/docs.html", spec=spec, paths=sorted(spec["paths"].items()),
                           schemas=sorted(spec.get("components", {}).get("schemas", {}).items()))


@bp.route(f"{PREFIX}/oauth/token", methods=["POST"], tags=["authentication"])
@bp.doc(requestBody={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["grant_type"],
    "properties": {"grant_type": {"type": "string", "enum": ["client_credentials"]},
                   "client_id": {"type": "string"}, "client_secret": {"type": "string"}}}}}})
@bp.response(200, s.TokenOut)
@public
def oauth_token():
    """OAuth 2 client credentials (RFC 6749 §4.4): the client's id and secret, in HTTP Basic
    or in the form, for a bearer token that lives an hour."""
    form = request.form
    if form.get("grant_type") != "client_credentials":
        return problem(400, "unsupported_grant_type", _("Only the client_credentials grant is supported."),
                       error="unsupported_grant_type")
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if request.authorization and request.authorization.type == "basic":
        client_id, secret = request.authorization.username, request.authorization.password
    try:
        with unit_of_work():
            issued, value = service.issue_client_token(client_id, secret)
            scope = " ".join(issued.client.scopes)
    except NotAllowed as refused:
        # RFC 6749 §5.2: a client that failed to authenticate is answered 401 invalid_client.
        return problem(401, "invalid_client", refused.message, error="invalid_client",
                       headers={"WWW-Authenticate": 'Basic realm="consult"'})
    return {"access_token": value, "token_type": "Bearer", "expires_in": service.CLIENT_TOKEN_SECONDS,
            "scope": scope}, 200, {"Cache-Control": "no-store"}


@bp.route(f"{PREFIX}/me", tags=["authentication"])
@bp.response(200, s.MeOut)
@bp.doc(security=BEARER)
@needs("read")
def me():
    """Who this token acts as, and what it may do."""
    user = viewer()
    return {"id": user.id, "name": user.name, "client": token().client.name if token().client else None,
            "scopes": sorted(service.scopes_of(token())), "expires_at": token().expires_at}


# --- places ----------------------------------------------------------------------------------

def _place_out(place) -> dict:
    children = [c for c in place.children if permissions.can_view_place(viewer(), c) and _reachable(c)]
    return {**_place_ref(place), "parent_id": place.parent_id, "path": place.ancestor_ids,
            "children": [_place_ref(c) for c in children]}


@bp.route(f"{PREFIX}/places", tags=["places"])
@bp.arguments(s.PageArgs, location="query")
@bp.response(200, s.PlacePage)
@bp.doc(security=BEARER)
@needs("read")
def places(args):
    """The top of the tree this token reads: the places without a parent, or an app
    client's own places."""
    if token().client is not None:
        rows = [p for p in service.client_places(token().client) if permissions.can_view_place(viewer(), p)]
        return page_of([_place_ref(p) for p in rows], None)
    rows, cursor = paginate(select(Place).where(Place.parent_id.is_(None)), [(Place.id, False)],
                            cursor=args["cursor"], limit=args["limit"], filters={"roots": True},
                            keep=lambda p: permissions.can_view_place(viewer(), p))
    return page_of([_place_ref(p) for p in rows], cursor)


@bp.route(f"{PREFIX}/places/<int:place_id>", tags=["places"])
@bp.response(200, s.PlaceOut)
@bp.doc(security=BEARER)
@needs("read")
def place(place_id: int):
    """A place with the places below it that this token reads."""
    return _place_out(readable_place(place_id))


# --- proposals -------------------------------------------------------------------------------

def _proposal_out(proposal) -> dict:
    from flask_babel import get_locale

    user = viewer()
    return {
        "id": proposal.id, "place": _place_ref(proposal.place),
        "title": s.shown_text(proposal.title, None, None, None),
        "body": s.shown_text(proposal.body, proposal.place, proposal.author, user),
        "state": proposal.state.value, "tier": proposal.tier.value,
        "category": proposal.category.name(str(get_locale())),
        "author": s.person(proposal.author, proposal.place, user), "cosign_count": proposal.cosign_count,
        "created_at": proposal.created_at, "updated_at": proposal.updated_at,
        "can_cosign": permissions.can_cosign(user, proposal), "can_comment": permissions.can_comment(user, proposal),
    }


def _load_proposal(proposal_id: int):
    from ..proposals.models import Proposal

    return load(Proposal, proposal_id, permissions.can_view_proposal, refuse=403)


@bp.route(f"{PREFIX}/places/<int:place_id>/proposals", tags=["proposals"])
@bp.arguments(s.ProposalArgs, location="query")
@bp.response(200, s.ProposalPage)
@bp.doc(security=BEARER)
@needs("read")
def proposals_list(args, place_id: int):
    """The proposals of a place and below it, with the page's filters (state, tier,
    category, call) and orders (newest, cosigned, oldest_open)."""
    from ..proposals.models import Proposal, ProposalState, Tier

    place = readable_place(place_id)
    state, tier = _enum(ProposalState, args["state"], "state"), _enum(Tier, args["tier"], "tier")
    # The page's own query (its filters and its order), walked with a cursor.
    query = select(Proposal).join(Proposal.place).where(Place.path.startswith(place.path, autoescape=True))
    if state is not None:
        query = query.where(Proposal.state == state)
    if tier is not None:
        query = query.where(Proposal.tier == tier)
    if args["category"] is not None:
        query = query.where(Proposal.category_id == args["category"])
    if args["call"] is not None:
        query = query.where(Proposal.call_id == args["call"])
    order = {"newest": [(Proposal.created_at, True), (Proposal.id, True)],
             "cosigned": [(Proposal.cosign_count, True), (Proposal.id, True)],
             "oldest_open": [(Proposal.updated_at, False), (Proposal.id, False)]}[args["sort"]]
    if args["sort"] == "oldest_open":
        query = query.where(Proposal.state.in_([ProposalState.submitted, ProposalState.reopened]))
    filters = {k: v for k, v in args.items() if k not in ("cursor", "limit")} | {"place": place.id}
    rows, cursor = paginate(query, order, cursor=args["cursor"], limit=args["limit"], filters=filters,
                            keep=lambda p: permissions.can_view_proposal(viewer(), p))
    return page_of([_proposal_out(p) for p in rows], cursor)


@bp.route(f"{PREFIX}/places/<int:place_id>/calls", tags=["proposals"])
@bp.response(200, s.CallPage)
@bp.doc(security=BEARER)
@needs("read")
def calls(place_id: int):
    """The calls for proposals (提案征集) of a place and the places above it, as its page
    lists them."""
    from ..proposals import service as proposals

    place = readable_place(place_id)
    items = [{"id": c.id, "place": _place_ref(c.place), "title": s.shown_text(c.title, None, None, None),
              "description": s.shown_text(c.description, None, None, None), "closes_at": c.closes_at,
              "open": c.is_open} for c in proposals.calls_for(place)]
    return page_of(items, None)


@bp.route(f"{PREFIX}/proposals/<int:proposal_id>", tags=["proposals"])
@bp.response(200, s.ProposalOut)
@bp.doc(security=BEARER)
@needs("read")
def proposal(proposal_id: int):
    return _proposal_out(_load_proposal(proposal_id))


@bp.route(f"{PREFIX}/places/<int:place_id>/proposals", methods=["POST"], tags=["proposals"])
@bp.arguments(s.ProposalIn)
@bp.response(201, s.ProposalOut)
@bp.doc(security=BEARER)
@needs("proposals")
def proposal_raise(data, place_id: int):
    """Raise a matter in a place (开放说事), as the page does."""
    from ..proposals import service as proposals
    from ..proposals.models import Category

    place = load(Place, place_id, permissions.can_raise, refuse=403, place_of=lambda p: p)
    category = db.session.get(Category, data["category_id"])
    if category is None or not category.active:
        raise InvalidInput(_("Choose one of the categories."), field="category_id")
    call = None
    if data["call_id"] is not None:
        call = next((c for c in proposals.calls_for(place, open_only=True) if c.id == data["call_id"]), None)
        if call is None:
            raise InvalidInput(_("This call is not open here."), field="call_id")
    raised = act("proposal.raise", None, proposals.raise_proposal, place, actor=viewer(), title=data["title"],
                 body=data["body"], category=category, call=call, config=current_app.config)
    if replayed(raised):
        return raised
    return _proposal_out(raised), 201, {"Location": url_for("api.proposal", proposal_id=raised.id)}


@bp.route(f"{PREFIX}/proposals/<int:proposal_id>/cosign", methods=["POST"], tags=["proposals"])
@bp.response(200, s.CosignOut)
@bp.doc(security=BEARER)
@needs("proposals")
def proposal_cosign(proposal_id: int):
    """Co-sign for one's household."""
    from ..proposals import service as proposals

    target = _load_proposal(proposal_id)
    done = act("proposal.cosign", target, proposals.cosign, target, actor=viewer())
    if replayed(done):
        return done
    return {"proposal_id": target.id, "cosign_count": target.cosign_count}


def _comment_out(comment, proposal) -> dict:
    hidden = comment.hidden_reason is not None
    return {"id": comment.id, "parent_id": comment.parent_id,
            "author": s.person(comment.author, proposal.place, viewer()),
            "body": None if hidden else s.shown_text(comment.body, proposal.place, comment.author, viewer()),
            "hidden_reason": s.shown_text(comment.hidden_reason, None, None, None) if hidden else None,
            "created_at": comment.created_at}


@bp.route(f"{PREFIX}/proposals/<int:proposal_id>/comments", tags=["proposals"])
@bp.arguments(s.PageArgs, location="query")
@bp.response(200, s.CommentPage)
@bp.doc(security=BEARER)
@needs("read")
def comments(args, proposal_id: int):
    """The discussion, oldest first."""
    from ..proposals.models import Comment

    target = _load_proposal(proposal_id)
    rows, cursor = paginate(select(Comment).where(Comment.proposal_id == target.id), [(Comment.id, False)],
                            cursor=args["cursor"], limit=args["limit"], filters={"proposal": target.id})
    return page_of([_comment_out(c, target) for c in rows], cursor)


@bp.route(f"{PREFIX}/proposals/<int:proposal_id>/comments", methods=["POST"], tags=["proposals"])
@bp.arguments(s.CommentIn)
@bp.response(201, s.CommentOut)
@bp.doc(security=BEARER)
@needs("proposals")
def comment(data, proposal_id: int):
    from ..proposals import service as proposals
    from ..proposals.models import Comment

    target = _load_proposal(proposal_id)
    parent = None
    if data["parent_id"] is not None:
        parent = db.session.get(Comment, data["parent_id"])
        if parent is None or parent.proposal_id != target.id:
            raise InvalidInput(_("There is no such comment on this matter."), field="parent_id")
    written = act("proposal.comment", target, proposals.comment, target, actor=viewer(), body=data["body"],
                  parent=parent)
    if replayed(written):
        return written
    return _comment_out(written, target), 201


# --- ballots --------------------------------------------------------------------------------------

def _ballot_out(ballot) -> dict:
    from ..voting import service as voting
    from ..voting.models import BallotState

    user = viewer()
    voter = voting.voter_of(ballot, user) if ballot.state is not BallotState.draft else None
    return {
        "id": ballot.id, "place": _place_ref(ballot.place), "proposal_id": ballot.proposal_id,
        "meeting_id": ballot.meeting_id, "question": s.shown_text(ballot.question, None, None, None),
        "kind": ballot.kind.value,
        "options": [{"key": k, "label": s.shown_text(v, None, None, None)} for k, v in ballot.choices().items()],
        "max_choices": ballot.max_choices, "electorate": ballot.electorate.value, "secrecy": ballot.secrecy.value,
        "rule": ballot.rule, "state": ballot.state.value, "opens_at": ballot.opens_at, "closes_at": ballot.closes_at,
        "opened_at": ballot.opened_at, "closed_at": ballot.closed_at,
        "voted": voting.participation_of(ballot, voter) is not None if voter is not None else False,
        "may_vote": voter is not None and ballot.state is BallotState.open,
    }


def _load_ballot(ballot_id: int):
    from ..voting.views import load_ballot

    ballot = load_ballot(ballot_id)
    if not _reachable(ballot.place):
        abort(404)
    return ballot


@bp.route(f"{PREFIX}/ballots", tags=["ballots"])
@bp.arguments(s.PageArgs, location="query")
@bp.response(200, s.BallotPage)
@bp.doc(security=BEARER)
@needs("read")
def ballots_mine(args):
    """The ballots of the places one lives in and serves, and those one attends: the
    page's "my ballots", open ones first."""
    from ..voting import service as voting

    rows = [b for b in voting.ballots_for(viewer(), limit=100) if _reachable(b.place)]
    filters = {"mine": viewer().id}
    start = read_offset(args["cursor"], filters)
    end = start + args["limit"]
    return page_of([_ballot_out(b) for b in rows[start:end]], offset_cursor(end, filters) if end < len(rows) else None)


@bp.route(f"{PREFIX}/ballots/<int:ballot_id>", tags=["ballots"])
@bp.response(200, s.BallotOut)
@bp.doc(security=BEARER)
@needs("read")
def ballot(ballot_id: int):
    return _ballot_out(_load_ballot(ballot_id))


@bp.route(f"{PREFIX}/ballots/<int:ballot_id>/cast", methods=["POST"], tags=["ballots"])
@bp.arguments(s.CastIn)
@bp.response(200, s.CastOut)
@bp.doc(security=BEARER)
@needs("ballots")
def cast(data, ballot_id: int):
    """Cast one's vote (or one's household's). A retry with the same ``client_key`` (or
    ``Idempotency-Key``) finds the vote counted and gets the same answer. A secret ballot's
    receipt is in this answer only: no copy of it is kept for a replay."""
    from ..places.models import Household
    from ..voting import service as voting
    from ..audit import service as audit

    target = _load_ballot(ballot_id)
    household = db.session.get(Household, data["household_id"]) if data["household_id"] else None
    choice = data["choice"]
    client_key = data["client_key"] or request.headers.get("Idempotency-Key", "").strip()[:64] or None
    # The vote's own key is its idempotency: the service finds a retried cast, and the
    # answer (a receipt) is never stored beside it.
    with unit_of_work():
        receipt = voting.cast(target, actor=viewer(), choice=choice, client_key=client_key, household=household)
        audit.record("api.ballot.cast", target, actor=viewer(), place=target.place, token=token().id,
                     client=token().client.client_id if token().client else None)
    return {"ballot_id": target.id, "counted": True, "receipt": receipt or None}, 200, {"Cache-Control": "no-store"}


@bp.route(f"{PREFIX}/ballots/<int:ballot_id>/result", tags=["ballots"])
@bp.response(200, s.ResultOut)
@bp.doc(security=BEARER)
@needs("read")
def ballot_result(ballot_id: int):
    """The result of a closed ballot, as published on its page; null while it is not closed."""
    from ..voting.models import BallotState

    target = _load_ballot(ballot_id)
    result = target.result if target.state is BallotState.closed else None
    return {"ballot_id": target.id, "state": target.state.value, "result": result}


# --- motions -----------------------------------------------------------------------------------

def _motion_out(motion) -> dict:
    from ..motions.lifecycle import TRANSITIONS

    user = viewer()
    return {
        "id": motion.id, "place": _place_ref(motion.place), "proposal_id": motion.proposal_id,
        "title": s.shown_text(motion.title, None, None, None),
        "body": s.shown_text(motion.body, motion.place, None, user),
        "state": motion.state.value, "answer": motion.answer.value if motion.answer else None,
        "responders": [r.organisation.name for r in motion.responders],
        "created_at": motion.created_at, "complete_by": motion.complete_by, "acknowledged_at": motion.acknowledged_at,
        "completed_at": motion.completed_at, "closed_at": motion.closed_at,
        "evaluation_closes_at": motion.evaluation_closes_at,
        "actions": [a for a in TRANSITIONS if permissions.can_take_motion_action(user, motion, a)],
    }


def _load_motion(motion_id: int):
    from ..motions.models import Motion

    return load(Motion, motion_id, permissions.can_view_motion)


def _follow_up() -> None:
    """Deadlines are followed up on access, as the pages do."""
    from ..motions import service as motions
    from ..web import run_due

    if motions.follow_up_due():
        run_due(motions.follow_up)


@bp.route(f"{PREFIX}/places/<int:place_id>/motions", tags=["motions"])
@bp.arguments(s.MotionArgs, location="query")
@bp.response(200, s.MotionPage)
@bp.doc(security=BEARER)
@needs("read")
def motions_list(args, place_id: int):
    from ..motions.models import Motion, MotionState
    from ..motions.service import PENDING

    place = readable_place(place_id)
    _follow_up()
    state = _enum(MotionState, args["state"], "state")
    query = select(Motion).join(Place, Place.id == Motion.place_id).where(
        Place.path.startswith(place.path, autoescape=True))
    if state is not None:
        query = query.where(Motion.state == state)
    if args["open_only"]:
        query = query.where(Motion.state.in_(PENDING))
    filters = {"place": place.id, "state": args["state"], "open_only": args["open_only"]}
    rows, cursor = paginate(query, [(Motion.id, True)], cursor=args["cursor"], limit=args["limit"], filters=filters)
    return page_of([_motion_out(m) for m in rows], cursor)


@bp.route(f"{PREFIX}/motions/<int:motion_id>", tags=["motions"])
@bp.response(200, s.MotionOut)
@bp.doc(security=BEARER)
@needs("read")
def motion(motion_id: int):
    target = _load_motion(motion_id)
    _follow_up()
    return _motion_out(target)


@bp.route(f"{PREFIX}/motions/<int:motion_id>/ratings", tags=["motions"])
@bp.response(200, s.RatingsOut)
@bp.doc(security=BEARER)
@needs("read")
def motion_ratings(motion_id: int):
    """How the residents concerned rated the result this round (评事), and this viewer's
    household's rating."""
    from ..motions import service as motions

    target = _load_motion(motion_id)
    summary = motions.ratings_summary(target)
    mine = motions.my_rating(viewer(), target)
    return {"motion_id": target.id, "round": target.evaluation_round,
            "counts": {score.value: n for score, n in summary["counts"].items()}, "total": summary["total"],
            "satisfied_share": summary["satisfied_share"], "mine": mine.score.value if mine else None}


def _motion_action(action: str, motion_id: int, operation):
    target = _load_motion(motion_id)
    done = act(f"motion.{action}", target, operation, target)
    if replayed(done):
        return done
    db.session.refresh(target)
    return _motion_out(target)


@bp.route(f"{PREFIX}/motions/<int:motion_id>/acknowledge", methods=["POST"], tags=["motions"])
@bp.response(200, s.MotionOut)
@bp.doc(security=BEARER)
@needs("motions")
def motion_acknowledge(motion_id: int):
    """A responder acknowledges the motion (接单)."""
    from ..motions import service as motions

    return _motion_action("acknowledge", motion_id, lambda m: motions.acknowledge(m, actor=viewer()))


@bp.route(f"{PREFIX}/motions/<int:motion_id>/answer", methods=["POST"], tags=["motions"])
@bp.arguments(s.AnswerIn)
@bp.response(200, s.MotionOut)
@bp.doc(security=BEARER)
@needs("motions")
def motion_answer(data, motion_id: int):
    """The lead responder accepts or declines (with a reason)."""
    from ..motions import service as motions
    from ..motions.models import Answer

    answer = _enum(Answer, data["answer"], "answer")
    return _motion_action("answer", motion_id,
                          lambda m: motions.answer(m, actor=viewer(), answer=answer, reason=data["reason"]))


@bp.route(f"{PREFIX}/motions/<int:motion_id>/progress", methods=["POST"], tags=["motions"])
@bp.arguments(s.TextIn)
@bp.response(200, s.MotionOut)
@bp.doc(security=BEARER)
@needs("motions")
def motion_progress(data, motion_id: int):
    from ..motions import service as motions

    return _motion_action("progress", motion_id, lambda m: motions.post_progress(
        m, actor=viewer(), body=data["body"], config=current_app.config))


@bp.route(f"{PREFIX}/motions/<int:motion_id>/ask-time", methods=["POST"], tags=["motions"])
@bp.arguments(s.TimeIn)
@bp.response(200, s.MotionOut)
@bp.doc(security=BEARER)
@needs("motions")
def motion_ask_time(data, motion_id: int):
    from ..motions import service as motions

    return _motion_action("ask_time", motion_id, lambda m: motions.ask_time(
        m, actor=viewer(), until=end_of_local_day(data["until"]), reason=data["reason"]))


@bp.route(f"{PREFIX}/motions/<int:motion_id>/complete", methods=["POST"], tags=["motions"])
@bp.arguments(s.TextIn)
@bp.response(200, s.MotionOut)
@bp.doc(security=BEARER)
@needs("motions")
def motion_complete(data, motion_id: int):
    """Report the motion done, with what was done (the evidence)."""
    from ..motions import service as motions

    return _motion_action("complete", motion_id, lambda m: motions.complete(
        m, actor=viewer(), evidence=data["body"], config=current_app.config))


@bp.route(f"{PREFIX}/motions/<int:motion_id>/rate", methods=["POST"], tags=["motions"])
@bp.arguments(s.RateIn)
@bp.response(200, s.MotionOut)
@bp.doc(security=BEARER)
@needs("motions")
def motion_rate(data, motion_id: int):
    """A resident concerned rates the result for their household (评事)."""
    from ..motions import service as motions
    from ..motions.models import Score

    score = _enum(Score, data["score"], "score")
    return _motion_action("rate", motion_id, lambda m: motions.rate(
        m, actor=viewer(), score=score, comment=data["comment"], config=current_app.config))


# --- meetings and minutes ------------------------------------------------------------------------

def _meeting_out(meeting) -> dict:
    return {"id": meeting.id, "place": _place_ref(meeting.place), "title": s.shown_text(meeting.title, None, None, None),
            "kind": meeting.kind.value, "form": meeting.form.value, "state": meeting.state.value,
            "starts_at": meeting.starts_at, "location": s.shown_text(meeting.location, None, None, None),
            "invited": permissions.is_invited(viewer(), meeting)}


def _load_meeting(meeting_id: int):
    from ..meetings.models import Meeting

    return load(Meeting, meeting_id, permissions.can_view_meeting)


@bp.route(f"{PREFIX}/places/<int:place_id>/meetings", tags=["meetings"])
@bp.arguments(s.PageArgs, location="query")
@bp.response(200, s.MeetingPage)
@bp.doc(security=BEARER)
@needs("read")
def meetings_list(args, place_id: int):
    from ..meetings.models import Meeting

    place = readable_place(place_id)
    query = select(Meeting).join(Place, Place.id == Meeting.place_id).where(
        Place.path.startswith(place.path, autoescape=True))
    rows, cursor = paginate(query, [(Meeting.starts_at, True), (Meeting.id, True)], cursor=args["cursor"],
                            limit=args["limit"], filters={"place": place.id},
                            keep=lambda m: permissions.can_view_meeting(viewer(), m))
    return page_of([_meeting_out(m) for m in rows], cursor)


@bp.route(f"{PREFIX}/meetings/<int:meeting_id>", tags=["meetings"])
@bp.response(200, s.MeetingOut)
@bp.doc(security=BEARER)
@needs("read")
def meeting(meeting_id: int):
    return _meeting_out(_load_meeting(meeting_id))


@bp.route(f"{PREFIX}/meetings/<int:meeting_id>/invitation", methods=["POST"], tags=["meetings"])
@bp.arguments(s.InvitationIn)
@bp.response(200, s.InvitationOut)
@bp.doc(security=BEARER)
@needs("meetings")
def meeting_respond(data, meeting_id: int):
    """Answer one's invitation: will attend, or cannot."""
    from ..meetings import service as meetings

    target = _load_meeting(meeting_id)
    done = act("meeting.respond", target, meetings.respond, target, actor=viewer(), accept=data["accept"])
    if replayed(done):
        return done
    return {"meeting_id": target.id, "accepted": data["accept"]}


@bp.route(f"{PREFIX}/minutes/<int:minutes_id>", tags=["minutes"])
@bp.response(200, s.MinutesOut)
@bp.doc(security=BEARER)
@needs("read")
def minutes(minutes_id: int):
    """Published minutes: their signed versions, each with its SHA-256 and whether it
    still matches."""
    from ..minutes import service as minutes_service
    from ..minutes.models import Minutes

    target = load(Minutes, minutes_id, permissions.can_view_minutes)
    versions = [v for v in target.versions if v.frozen and permissions.can_view_minutes_version(viewer(), v)]
    if not versions:
        raise NotFound(_("These minutes are not published yet."))
    return {"id": target.id, "meeting_id": target.meeting_id, "place": _place_ref(target.place),
            "state": target.state.value,
            "versions": [{"number": v.number, "title": s.shown_text(v.title, None, None, None),
                          "body": s.shown_text(v.body, None, None, None), "sha256": v.sha256,
                          "verified": minutes_service.verify(v), "frozen_at": v.signed_at,
                          "reason": v.reason} for v in versions]}


# --- notifications --------------------------------------------------------------------------------

@bp.route(f"{PREFIX}/notifications", tags=["notifications"])
@bp.arguments(s.PageArgs, location="query")
@bp.response(200, s.NotificationPage)
@bp.doc(security=BEARER)
@needs("notifications")
def notifications(args):
    """One's inbox, newest first."""
    from ..notifications import service as inbox
    from ..notifications.models import Notification

    rows, cursor = paginate(select(Notification).where(Notification.user_id == viewer().id),
                            [(Notification.id, True)], cursor=args["cursor"], limit=args["limit"],
                            filters={"user": viewer().id})
    items = [{"id": n.id, "kind": n.kind, "text": s.shown_text(n.text, None, None, None), "params": {},
              "created_at": n.created_at, "read": n.read_at is not None} for n in rows]
    return {**page_of(items, cursor), "unread": inbox.unread_count(viewer())}


@bp.route(f"{PREFIX}/notifications/read", methods=["POST"], tags=["notifications"])
@bp.response(200, s.ReadOut)
@bp.doc(security=BEARER)
@needs("notifications")
def notifications_read():
    """Mark every message read, as the inbox page does."""
    from ..notifications import service as inbox

    done = act("notifications.read", viewer(), inbox.mark_all_read, viewer(), place=None)
    if replayed(done):
        return done
    return {"unread": inbox.unread_count(viewer())}


# --- search ------------------------------------------------------------------------------------

@bp.route(f"{PREFIX}/search", tags=["search"])
@bp.arguments(s.SearchArgs, location="query")
@bp.response(200, s.SearchOut)
@bp.doc(security=BEARER)
@needs("read")
def search(args):
    """What this viewer may read in a place (default: their own scope) and below it that
    matches ``q``, best first: the search page's results. Two-character Chinese words
    (电梯, 漏水) are found."""
    from ..search import service as searching

    if args["place"] is not None:
        place = readable_place(args["place"])
    else:
        place = searching.scope_for(viewer())
        if place is None or not _reachable(place):
            raise NotFound(_("Say which place to search in."), field="place")
    filters = {k: v for k, v in args.items() if k != "cursor"} | {"place": place.id}
    page = read_offset(args["cursor"], filters) or 1
    results = searching.search(place, args["q"], viewer=viewer(), kinds=args["kind"], tier=args["tier"] or None,
                               start=args["start"], end=args["end"], page=page, per_page=args["limit"])
    items = [{"kind": hit.kind.name, "id": hit.doc_id,
              "title": s.shown_text(hit.title.striptags(), None, None, None),
              "snippet": s.shown_text(hit.snippet.striptags(), None, None, None),
              "caption": s.shown_text(hit.caption, None, None, None), "at": hit.at,
              "place": _place_ref(db.session.get(Place, hit.row.place_id))} for hit in results.hits]
    return {"items": items, "total": results.total,
            "next_cursor": offset_cursor(page + 1, filters) if page < results.pages else None}


# --- figures -----------------------------------------------------------------------------------

@bp.route(f"{PREFIX}/places/<int:place_id>/figures", tags=["figures"])
@bp.arguments(s.FiguresArgs, location="query")
@bp.response(200, s.FiguresOut)
@bp.doc(security=BEARER)
@needs("read")
def figures(args, place_id: int):
    """The accountability figures of a place (接诉即办): response, resolution and
    satisfaction rates, for a period of local days (default: the last year)."""
    from datetime import timedelta

    from ..clock import local_today, start_of_local_day
    from ..motions import figures as motion_figures

    place = readable_place(place_id)
    end_day = args["end"] or local_today()
    start_day = args["start"] or end_day - timedelta(days=364)
    if start_day > end_day:
        raise InvalidInput(_("The period starts after it ends."), field="start")
    start, end = start_of_local_day(start_day), end_of_local_day(end_day)
    report = motion_figures.report(place, start, end)
    return {"place": _place_ref(place), "start": start_day, "end": end_day, "total": report.total.as_dict(),
            "places": [{"id": p.id, "name": p.name, "figures": f.as_dict()} for p, f in report.places],
            "organisations": [{"id": o.id, "name": o.name, "figures": f.as_dict()} for o, f in report.organisations]}


# --- 12345 work orders ---------------------------------------------------------------------------

def _hotline_client():
    current = token()
    if current.client is None:
        raise NotAllowed(_("Only an application registered for the hotline may send work orders."))
    return current.client


@bp.route(f"{PREFIX}/work-orders", methods=["POST"], tags=["work orders"])
@bp.arguments(s.WorkOrderIn)
@bp.response(201, s.WorkOrderOut)
@bp.alt_response(200, schema=s.WorkOrderOut, description="An order with this number was received before: "
                                                         "it is answered as it stands, nothing is done twice.")
@bp.doc(security=BEARER)
@needs("work_orders")
def work_order_receive(data):
    """Receive a 12345 work order (接诉即办): its address is matched to a household or place
    of the application's places and it becomes a motion on the responsible organisation's
    desk. Its state is reported by the webhook event `work_order.updated`."""
    from sqlalchemy.exc import IntegrityError

    from ..hotline import service as hotline

    client = _hotline_client()
    known = hotline.find(data["number"])
    if known is None:
        try:
            made = act("work_order.receive", None, hotline.receive, actor=viewer(),
                       places=service.client_places(client), api_client_id=client.id, **data)
        except IntegrityError:   # the same number, received meanwhile by another request
            db.session.rollback()
            made = None
        if replayed(made):
            return made
        if made is not None:
            return hotline.order_fields(made), 201
        known = hotline.find(data["number"])
    if known is None or not _reachable(known.place):
        raise NotFound(_("No such work order."))
    return hotline.order_fields(known), 200


@bp.route(f"{PREFIX}/work-orders/<number>", tags=["work orders"])
@bp.response(200, s.WorkOrderOut)
@bp.doc(security=BEARER)
@needs("work_orders")
def work_order(number: str):
    """A work order as it stands."""
    from ..hotline import service as hotline

    _hotline_client()
    known = hotline.find(number)
    if known is None or not _reachable(known.place):
        raise NotFound(_("No such work order."))
    return hotline.order_fields(known)


# --- the account page: personal tokens ------------------------------------------------------------

from . import pages  # noqa: E402,F401  (its routes are on this blueprint, outside the API's document)
from .http import init_app  # noqa: E402

# Once every route is on the blueprint: the document, the limiter, the problems.
bp.record_once(init_app)
