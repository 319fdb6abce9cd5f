"""Motions: assigning, acknowledging, answering, progress, more time, completion, rating
(评事), reopening and the follow-up of deadlines (查事). Every action goes through the
transition table in ``lifecycle`` and leaves an entry on the motion's public record, an
audit row and notifications, in the caller's transaction."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Optional

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from .. import permissions
from ..accounts.models import MODERATORS, Organisation, User
from ..audit import service as audit
from ..clock import utcnow
from ..errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from ..extensions import db
from ..i18n import said as system_said
from ..notifications import service as notifications
from ..places.models import HouseholdMember, Place
from ..proposals.models import Proposal
from . import rollups
from .lifecycle import ANY_RESPONDER, MODERATOR, RESPONDER, SYSTEM, TRANSITIONS
from .signals import motion_assigned, motion_recorded, motion_reopened, motion_sent_back, motion_settled
from .models import (
    Answer,
    rater_households,
    rating_household,
    Motion,
    MotionState,
    MotionUpdate,
    Raters,
    Rating,
    Responder,
    Score,
    StandingResponder,
)

TITLE_MAX, TEXT_MAX = 100, 4000
PHOTOS_PER_UPDATE = 4


# --- who is who -------------------------------------------------------------------------------

def _step(motion: Motion, action: str, actor):
    step = TRANSITIONS.require(motion.state, action,
                               _l("This cannot be done while the motion is “%(state)s”.", state=motion.state.label))
    if actor is None:
        assert SYSTEM in step.who, action
        return step
    if RESPONDER in step.who and permissions.is_responder(actor, motion):
        if action not in ANY_RESPONDER and not permissions.is_lead_responder(actor, motion):
            raise NotAllowed(_l("Only the lead responder (%(name)s) can do this.", name=motion.lead.organisation.name))
        return step
    if MODERATOR in step.who and permissions.can_moderate_motion(actor, motion):
        return step
    raise NotAllowed(_l("You are not allowed to do this."))


def _text(value: Optional[str], required: bool, missing=None, limit: int = TEXT_MAX) -> Optional[str]:
    value = (value or "").strip() or None
    if required and value is None:
        raise InvalidInput(missing or _l("Write the reason: the residents will read it."))
    if value and len(value) > limit:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=limit))
    return value


def _record(motion: Motion, action: str, *, actor, body: Optional[str] = None, photos: Iterable[str] = (),
            **detail) -> MotionUpdate:
    if actor is not None and "organisations" not in detail:
        # The record names the organisation a responder speaks for, not only the person.
        speaking_for = [r.organisation_id for r in permissions.responders_for(actor, motion)]
        if speaking_for:
            detail["organisations"] = speaking_for
    update = MotionUpdate(motion=motion, action=action, actor_id=getattr(actor, "id", None), body=body,
                          photos=list(photos), detail=detail, at=utcnow())
    db.session.add(update)
    rollups.touch(motion)   # the figures' rollups follow every step, in this transaction
    audit.record(f"motion.{action}", motion, actor=actor, place=motion.place, **detail)
    motion_recorded.send(motion, action=action, body=body)
    return update


def _responder_people(motion: Motion, responders: Optional[list[Responder]] = None) -> set[int]:
    ids: set[int] = set()
    for responder in responders or motion.responders:
        if responder.person_id:
            ids.add(responder.person_id)
        else:
            ids.update(m.user_id for m in responder.organisation.members)
    return ids


def _moderator_ids(motion: Motion) -> set[int]:
    return {u.id for u in notifications.moderators_of(motion.escalated_to or motion.place)} | \
        {u.id for u in notifications.moderators_of(motion.place)}


def _tell(user_ids: Iterable[int], kind: str, motion: Motion, *, skip=None, **params) -> None:
    notifications.notify_ids(user_ids, kind, skip=skip, motion=motion.id, title=motion.title, **params)


def _photos(photos: Iterable[bytes], config) -> list[str]:
    from ..photos import encode_photo, save_photo

    photos = [p for p in photos if p]
    if len(photos) > PHOTOS_PER_UPDATE:
        raise InvalidInput(_l("At most %(n)d photos.", n=PHOTOS_PER_UPDATE))
    encoded = [encode_photo(p, config=config)[0] for p in photos]   # all checked before any is written
    return [save_photo(jpeg, config=config) for jpeg in encoded]


# --- the matter follows its motions -------------------------------------------------------------

def _settled(motion: Motion) -> None:
    """Say how the motions of the motion's matter stand, now that this one is completed,
    closed or withdrawn (``signals.motion_settled``)."""
    if motion.proposal_id is None:
        return
    siblings = db.session.scalars(select(Motion).where(Motion.proposal_id == motion.proposal_id))
    states = {m.state for m in siblings if m.state is not MotionState.withdrawn}
    outcome = None
    if states and states <= {MotionState.completed, MotionState.closed} and MotionState.completed in states:
        outcome = "completed"
    elif states == {MotionState.closed}:
        outcome = "closed"
    motion_settled.send(motion, outcome=outcome)


# --- assigning ------------------------------------------------------------------------------

def deadlines_for(organisation: Organisation, config=None) -> tuple[timedelta, timedelta]:
    config = config or current_app.config
    acknowledge, complete = config["MOTION_DEADLINES"].get(organisation.kind.value,
                                                           config["MOTION_DEFAULT_DEADLINES"])
    return timedelta(hours=acknowledge), timedelta(hours=complete)


def eligible_organisations(place: Place) -> list[Organisation]:
    """The organisations a motion of ``place`` can go to: those of the place, of the places
    above it (the subdistrict's departments) and below it (a compound's property company)."""
    return list(db.session.scalars(
        select(Organisation).join(Place, Place.id == Organisation.place_id)
        .where(or_(Place.id.in_(place.ancestor_ids), Place.path.startswith(place.path, autoescape=True)))
        .order_by(Organisation.kind, Organisation.name)))


def default_organisation(place: Place, category=None) -> Optional[Organisation]:
    """Whom a new motion of ``place`` goes to unless the moderator chooses otherwise: the
    organisation that has most often been the lead on this category of matter in this place;
    without such history, the property company of the place or of its nearest place above
    (else one below it, as for a community whose compounds have their companies)."""
    from sqlalchemy import func
    from sqlalchemy.orm import aliased

    from ..accounts.models import OrganisationKind

    eligible = eligible_organisations(place)
    by_id = {o.id: o for o in eligible}
    if category is not None:
        first = aliased(Responder)
        lead = select(func.min(first.id)).where(first.motion_id == Motion.id).scalar_subquery()
        usual = db.session.execute(
            select(Responder.organisation_id, func.count()).join(Motion, Motion.id == Responder.motion_id)
            .join(Proposal, Proposal.id == Motion.proposal_id)
            .where(Motion.place_id == place.id, Proposal.category_id == category.id, Responder.id == lead)
            .group_by(Responder.organisation_id).order_by(func.count().desc(), Responder.organisation_id)).all()
        for organisation_id, _count in usual:
            if organisation_id in by_id:
                return by_id[organisation_id]
    companies = [o for o in eligible if o.kind is OrganisationKind.property_company]
    for place_id in reversed(place.ancestor_ids):
        here = [o for o in companies if o.place_id == place_id]
        if here:
            return here[0]
    return companies[0] if companies else None


def standing_responders(place: Place) -> tuple[Optional[Place], list[Organisation]]:
    """吹哨报到 "1+5+N": the roster a call in ``place`` whistles by default — the place's
    own, else that of the nearest place above with one — and the place it belongs to."""
    for place_id in reversed(place.ancestor_ids):
        rows = list(db.session.scalars(select(StandingResponder).where(StandingResponder.place_id == place_id)
                                       .order_by(StandingResponder.id)))
        if rows:
            return rows[0].place, [r.organisation for r in rows]
    return None, []


def set_standing_responders(place: Place, organisations: list[Organisation], *, actor) -> list[Organisation]:
    """The fixed members of the place's roster, replacing the previous ones."""
    permissions.require(permissions.can_manage_roster(actor, place),
                        _l("Only a moderator of this place can change its roster."))
    organisations = list(dict.fromkeys(o for o in organisations if o is not None))
    allowed = {o.id for o in eligible_organisations(place)}
    if any(o.id not in allowed for o in organisations):
        raise InvalidInput(_l("This organisation does not serve this place."))
    for row in db.session.scalars(select(StandingResponder).where(StandingResponder.place_id == place.id)):
        db.session.delete(row)
    db.session.flush()
    for organisation in organisations:
        db.session.add(StandingResponder(place=place, organisation=organisation))
    db.session.flush()
    audit.record("roster.set", place, actor=actor, place=place, organisations=[o.id for o in organisations])
    return organisations


def assign(place: Place, *, actor, title: str, body: str, organisations: list[Organisation],
           person: Optional[User] = None, proposal: Optional[Proposal] = None, meeting=None, ballot=None,
           acknowledge_hours: Optional[int] = None, complete_days: Optional[int] = None,
           raters: Raters = Raters.place, config=None, report=None, roster: bool = False) -> Motion:
    """A decision becomes a motion addressed to one organisation — or, when the whistle is
    blown (吹哨报到), to several, each of which must report by its deadline. A grid
    worker sends on a resident's ``report`` the same way (派单)."""
    permissions.require(permissions.can_assign_motion(actor, place, report),
                        _l("Only a moderator of this place can assign motions."))
    title = _text(title, True, _l("Say what must be done."), TITLE_MAX)
    body = _text(body, False) or ""
    if roster:   # 吹哨: the place's standing roster is summoned, besides those chosen for the case
        organisations = list(organisations) + standing_responders(place)[1]
    organisations = list(dict.fromkeys(o for o in organisations if o is not None))
    if not organisations:
        raise InvalidInput(_l("Choose the organisation that must act."))
    allowed = {o.id for o in eligible_organisations(place)}
    if any(o.id not in allowed for o in organisations):
        raise InvalidInput(_l("This organisation does not serve this place."))
    if person is not None and not any(m.user_id == person.id for m in organisations[0].members):
        raise InvalidInput(_l("The person named must be a member of the organisation."))
    if proposal is not None and proposal.place_id != place.id and not place.is_within(proposal.place) \
            and not proposal.place.is_within(place):
        raise InvalidInput(_l("The motion must be for the matter's place."))
    for value, low, high in ((acknowledge_hours, 1, 24 * 30), (complete_days, 1, 365)):
        if value is not None and not low <= value <= high:
            raise InvalidInput(_l("The deadline is out of range."))
    if raters is Raters.proposal and proposal is None:
        raters = Raters.place
    now = utcnow()
    lead_ack, lead_complete = deadlines_for(organisations[0], config)
    motion = Motion(place=place, title=title, body=body, proposal=proposal, meeting_id=getattr(meeting, "id", None),
                    ballot_id=getattr(ballot, "id", None), whistle=len(organisations) > 1, raters=raters,
                    created_by_id=actor.id, created_at=now,
                    complete_by=now + (timedelta(days=complete_days) if complete_days else lead_complete))
    db.session.add(motion)
    for organisation in organisations:
        acknowledge = timedelta(hours=acknowledge_hours) if acknowledge_hours else deadlines_for(organisation,
                                                                                                 config)[0]
        motion.responders.append(Responder(organisation=organisation, acknowledge_by=now + acknowledge,
                                           person_id=person.id if person and organisation is organisations[0]
                                           else None))
    db.session.flush()
    _record(motion, "assign", actor=actor, body=body or None,
            organisations=[o.id for o in organisations], whistle=motion.whistle,
            **({"report": report.id} if report is not None else {}))
    motion_assigned.send(motion, reason=title)
    _tell(_responder_people(motion), "motion.assigned", motion, skip=actor)
    return motion


# --- the responder --------------------------------------------------------------------------

def _acknowledge(motion: Motion, responders: list[Responder], actor, now: datetime) -> list[Responder]:
    fresh = [r for r in responders if r.acknowledged_at is None]
    for responder in fresh:
        responder.acknowledged_at, responder.acknowledged_by_id = now, actor.id
    if fresh and motion.acknowledged_at is None:
        motion.acknowledged_at = now
        motion.acknowledge_seconds = int((now - motion.created_at).total_seconds())
    if motion.state is MotionState.assigned and fresh:
        motion.state = MotionState.acknowledged
    return fresh


def acknowledge(motion: Motion, *, actor) -> Motion:
    """接单 / 报到: the organisation has the motion."""
    _step(motion, "acknowledge", actor)
    fresh = _acknowledge(motion, permissions.responders_for(actor, motion), actor, utcnow())
    if not fresh:
        raise InvalidTransition(_l("Your organisation has already acknowledged this motion."))
    _record(motion, "acknowledge", actor=actor, organisations=[r.organisation_id for r in fresh],
            in_time=all(r.in_time for r in fresh))
    if motion.whistle:
        _tell(_moderator_ids(motion), "motion.reported", motion, skip=actor,
              organisation=", ".join(r.organisation.name for r in fresh))
    return motion


def answer(motion: Motion, *, actor, answer: Answer, reason: Optional[str] = None) -> Motion:
    """The lead responder accepts, accepts in part or declines, saying why."""
    action = {Answer.accept: "accept", Answer.partial: "accept_part", Answer.decline: "decline"}[answer]
    step = _step(motion, action, actor)
    reason = _text(reason, step.needs_reason)
    _acknowledge(motion, [motion.lead], actor, utcnow())
    motion.answer, motion.answer_reason = answer, reason
    motion.state = step.target
    _record(motion, action, actor=actor, body=reason)
    if answer is Answer.decline:
        _tell(_moderator_ids(motion), "motion.declined", motion, skip=actor)
    return motion


def post_progress(motion: Motion, *, actor, body: str, photos: Iterable[bytes] = (), config=None) -> MotionUpdate:
    _step(motion, "progress", actor)
    body = _text(body, True, _l("Write what has been done."))
    return _record(motion, "progress", actor=actor, body=body, photos=_photos(photos, config or current_app.config))


def ask_time(motion: Motion, *, actor, until: datetime, reason: str) -> Motion:
    _step(motion, "ask_time", actor)
    reason = _text(reason, True)
    if motion.extension_until is not None:
        raise Conflict(_l("More time has already been asked for; the moderator has not decided yet."))
    if until <= motion.complete_by:
        raise InvalidInput(_l("Ask for a date after the present deadline."))
    if until > motion.complete_by + timedelta(days=90):
        raise InvalidInput(_l("Ask for at most 90 more days."))
    motion.extension_until, motion.extension_reason = until, reason
    _record(motion, "ask_time", actor=actor, body=reason, until=until.isoformat())
    _tell(_moderator_ids(motion), "motion.time_asked", motion, skip=actor)
    return motion


def decide_time(motion: Motion, *, actor, grant: bool, reason: Optional[str] = None) -> Motion:
    action = "grant_time" if grant else "refuse_time"
    step = _step(motion, action, actor)
    reason = _text(reason, step.needs_reason)
    if motion.extension_until is None:
        raise InvalidTransition(_l("No one has asked for more time."))
    until, previous = motion.extension_until, motion.complete_by
    if grant:
        motion.complete_by = until
        # The new deadline gets its own reminder and its own overdue notice.
        motion.complete_reminded_at = motion.completion_overdue_at = None
    motion.extension_until = motion.extension_reason = None
    _record(motion, action, actor=actor, body=reason, until=until.isoformat(), previous=previous.isoformat())
    _tell(_responder_people(motion), "motion.time_decided", motion, skip=actor)
    return motion


def complete(motion: Motion, *, actor, evidence: str, photos: Iterable[bytes] = (), config=None) -> Motion:
    """Done, with evidence; the residents concerned are asked to rate it."""
    config = config or current_app.config
    _step(motion, "complete", actor)
    evidence = _text(evidence, True, _l("Say what was done: the residents will read it."))
    tokens = _photos(photos, config)
    now = utcnow()
    motion.state, motion.completed_at, motion.evidence = MotionState.completed, now, evidence
    motion.complete_seconds = int((now - motion.created_at).total_seconds())
    motion.evaluation_round += 1
    motion.evaluation_closes_at = now + timedelta(days=config["MOTION_EVALUATION_DAYS"])
    motion.extension_until = motion.extension_reason = None
    _record(motion, "complete", actor=actor, body=evidence, photos=tokens, in_time=now <= motion.complete_by)
    _tell(rater_user_ids(motion), "motion.rate", motion, skip=actor)
    _tell(_moderator_ids(motion), "motion.completed", motion, skip=actor)
    _settled(motion)
    return motion


# --- 评事 ------------------------------------------------------------------------------------

def rater_user_ids(motion: Motion) -> list[int]:
    return list(db.session.scalars(select(HouseholdMember.user_id).where(
        HouseholdMember.household_id.in_(rater_households(motion))).distinct()))


def my_rating(user, motion: Motion) -> Optional[Rating]:
    if not getattr(user, "is_authenticated", False):
        return None
    households = select(HouseholdMember.household_id).where(HouseholdMember.user_id == user.id)
    return db.session.scalar(select(Rating).where(Rating.motion_id == motion.id,
                                                  Rating.round == motion.evaluation_round,
                                                  Rating.household_id.in_(households)).limit(1))


def rate(motion: Motion, *, actor, score: Score, comment: Optional[str] = None, config=None) -> Rating:
    """One rating per household and round. Enough unsatisfied ratings — or the resident
    who raised the matter being unsatisfied — reopen the motion for the moderator."""
    config = config or current_app.config
    if motion.state is not MotionState.completed:
        raise InvalidTransition(_l("This motion is not being rated now."))
    if utcnow() >= motion.evaluation_closes_at:
        raise InvalidTransition(_l("The time for rating this motion has ended."))
    comment = _text(comment, False, limit=1000)
    household = rating_household(actor, motion)
    if household is None:
        if my_rating(actor, motion) is not None:
            raise Conflict(_l("Your household has already rated this motion."))
        raise NotAllowed(_l("Only the residents concerned rate this motion."))
    rating = Rating(motion_id=motion.id, round=motion.evaluation_round, household_id=household.id,
                    user_id=actor.id, score=score, comment=comment, at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(rating)
    except IntegrityError:
        raise Conflict(_l("Your household has already rated this motion."))
    rollups.touch(motion)
    audit.record("motion.rate", motion, actor=actor, place=motion.place)   # never the score: it is public below
    motion_recorded.send(motion, action="rate", body=None)
    scores = [s for (s,) in db.session.execute(select(Rating.score).where(
        Rating.motion_id == motion.id, Rating.round == motion.evaluation_round))]
    unsatisfied = sum(s is Score.unsatisfied for s in scores)
    by_author = (score is Score.unsatisfied and motion.proposal is not None
                 and motion.proposal.author_id == actor.id)
    if by_author or (len(scores) >= config["MOTION_REOPEN_MIN_RATINGS"]
                     and unsatisfied / len(scores) >= config["MOTION_REOPEN_SHARE"]):
        reason, words = _reopen_reason(by_author, unsatisfied, len(scores))
        reopen(motion, actor=None, reason=reason, said=words)
    return rating


def _reopen_reason(by_author: bool, unsatisfied: int, total: int) -> tuple[str, dict]:
    if by_author:
        return system_said("reopen_by_author")
    return system_said("reopen_unsatisfied", n=unsatisfied, total=total)


def ratings_summary(motion: Motion, round: Optional[int] = None) -> dict:
    round = motion.evaluation_round if round is None else round
    rows = db.session.execute(select(Rating.score, db.func.count()).where(
        Rating.motion_id == motion.id, Rating.round == round).group_by(Rating.score)).all()
    counts = {score: 0 for score in Score}
    counts.update(dict(rows))
    total = sum(counts.values())
    return {"counts": counts, "total": total,
            "satisfied_share": (counts[Score.satisfied] + counts[Score.basically]) / total if total else None}


def reopen(motion: Motion, *, actor, reason: str, said: Optional[dict] = None) -> Motion:
    """``said``: the system's own words for ``reason`` (``i18n.said``), shown in each
    reader's language."""
    step = _step(motion, "reopen", actor)
    reason = _text(reason, True)
    motion.state = step.target
    motion.reopened_count += 1
    motion.closed_at = None
    _record(motion, "reopen", actor=actor, body=reason, **({"said": said} if said else {}))
    _tell(_moderator_ids(motion) | _responder_people(motion), "motion.reopened", motion, skip=actor)
    motion_reopened.send(motion, reason=reason, said=said)
    return motion


# --- the moderator -----------------------------------------------------------------------------

def send_back(motion: Motion, *, actor, reason: str, complete_days: Optional[int] = None) -> Motion:
    """A reopened or declined motion goes back to its responder with a new deadline."""
    step = _step(motion, "send_back", actor)
    reason = _text(reason, True)
    if complete_days is not None and not 1 <= complete_days <= 365:
        raise InvalidInput(_l("The deadline is out of range."))
    now = utcnow()
    motion.state = step.target
    motion.complete_by = now + (timedelta(days=complete_days) if complete_days
                                else deadlines_for(motion.lead.organisation)[1])
    motion.complete_reminded_at = motion.completion_overdue_at = None
    _record(motion, "send_back", actor=actor, body=reason, complete_by=motion.complete_by.isoformat())
    _tell(_responder_people(motion), "motion.sent_back", motion, skip=actor)
    motion_sent_back.send(motion, reason=reason)
    return motion


def close(motion: Motion, *, actor=None, reason: Optional[str] = None, said: Optional[dict] = None) -> Motion:
    step = _step(motion, "close", actor)
    motion.state, motion.closed_at = step.target, utcnow()
    motion.extension_until = motion.extension_reason = None
    _record(motion, "close", actor=actor, body=_text(reason, False), **({"said": said} if said else {}))
    _settled(motion)
    return motion


def withdraw(motion: Motion, *, actor, reason: str) -> Motion:
    step = _step(motion, "withdraw", actor)
    reason = _text(reason, True)
    motion.state, motion.closed_at = step.target, utcnow()
    _record(motion, "withdraw", actor=actor, body=reason)
    _tell(_responder_people(motion), "motion.withdrawn", motion, skip=actor)
    _settled(motion)
    return motion


def escalate(motion: Motion, *, actor=None, reason: str, said: Optional[dict] = None) -> Motion:
    """One level up the place tree: the moderators there are told and may act on it."""
    _step(motion, "escalate", actor)
    reason = _text(reason, True)
    ids = motion.place.ancestor_ids
    level = motion.escalation_level + 1
    if level >= len(ids):
        raise InvalidTransition(_l("There is no level above to escalate to."))
    motion.escalation_level, motion.escalated_at = level, utcnow()
    motion.escalated_to = db.session.get(Place, ids[-1 - level])
    _record(motion, "escalate", actor=actor, body=reason, to=motion.escalated_to.id,
            **({"said": said} if said else {}))
    _tell({u.id for u in notifications.moderators_of(motion.escalated_to)}, "motion.escalated", motion, skip=actor,
          place=motion.escalated_to.name)
    return motion


# --- 查事: the follow-up of deadlines ---------------------------------------------------------

PENDING = (MotionState.assigned, MotionState.acknowledged, MotionState.in_progress)


def follow_up(now: Optional[datetime] = None, config=None) -> int:
    """Reminders before deadlines, overdue notices after them, escalation one level up
    after each grace period, and the end of rating windows. Each step is flagged on the
    row, so running this again (every minute, or on access) repeats nothing. Returns the
    number of steps taken."""
    config = config or current_app.config
    now = now or utcnow()
    remind = timedelta(hours=config["MOTION_REMIND_HOURS"])
    grace = timedelta(hours=config["MOTION_ESCALATION_GRACE_HOURS"])
    steps = 0
    # Rows another process is following up right now are skipped (PostgreSQL): it flags
    # them, so nothing is sent twice. SQLite runs writing transactions one at a time.
    for responder in db.session.scalars(_due_responders(now, remind).with_for_update(skip_locked=True, of=Responder)):
        motion = responder.motion
        if now > responder.acknowledge_by and responder.overdue_at is None:
            responder.overdue_at = now
            motion.overdue_at = motion.overdue_at or now
            _record(motion, "overdue", actor=None, deadline="acknowledge", organisation=responder.organisation_id)
            _tell(_responder_people(motion, [responder]) | _moderator_ids(motion), "motion.overdue", motion)
            steps += 1
        elif responder.reminded_at is None and now <= responder.acknowledge_by:
            responder.reminded_at = now
            _record(motion, "remind", actor=None, deadline="acknowledge", organisation=responder.organisation_id)
            _tell(_responder_people(motion, [responder]), "motion.reminder", motion)
            steps += 1
    for motion in db.session.scalars(_due_completions(now, remind).with_for_update(skip_locked=True, of=Motion)):
        if now > motion.complete_by and motion.completion_overdue_at is None:
            motion.completion_overdue_at = now
            motion.overdue_at = motion.overdue_at or now
            _record(motion, "overdue", actor=None, deadline="complete")
            _tell(_responder_people(motion) | _moderator_ids(motion), "motion.overdue", motion)
            steps += 1
        elif motion.complete_reminded_at is None and now <= motion.complete_by:
            motion.complete_reminded_at = now
            _record(motion, "remind", actor=None, deadline="complete")
            _tell(_responder_people(motion), "motion.reminder", motion)
            steps += 1
    for motion in db.session.scalars(_late(now, grace).with_for_update(skip_locked=True, of=Motion)):
        if motion.escalation_level + 1 < len(motion.place.ancestor_ids):
            reason, words = system_said("deadline_passed", hours=config["MOTION_ESCALATION_GRACE_HOURS"])
            escalate(motion, actor=None, reason=reason, said=words)
            steps += 1
        else:
            motion.escalated_at = now   # at the top already: looked at again after another grace period
    for motion in db.session.scalars(_rating_ended(now).with_for_update(skip_locked=True, of=Motion)):
        reason, words = system_said("rating_ended")
        close(motion, actor=None, reason=reason, said=words)
        steps += 1
    return steps


def _due_responders(now: datetime, remind: timedelta):
    """Acknowledgements whose deadline passed unnoticed, or is near with no reminder yet
    (a deadline that passed before any reminder gets the overdue notice alone)."""
    return select(Responder).join(Motion).where(
        Motion.state.in_(PENDING), Responder.acknowledged_at.is_(None),
        or_(Responder.overdue_at.is_(None) & (Responder.acknowledge_by < now),
            Responder.reminded_at.is_(None) & Responder.acknowledge_by.between(now, now + remind)))


def _due_completions(now: datetime, remind: timedelta):
    return select(Motion).where(
        Motion.state.in_(PENDING),
        or_(Motion.completion_overdue_at.is_(None) & (Motion.complete_by < now),
            Motion.complete_reminded_at.is_(None) & Motion.complete_by.between(now, now + remind)))


def _rating_ended(now: datetime):
    return select(Motion).where(Motion.state == MotionState.completed, Motion.evaluation_closes_at <= now)


def _late(now: datetime, grace: timedelta):
    """Motions still late a grace period after a deadline passed, and not escalated within
    the last grace period."""
    unacknowledged = select(Responder.id).where(Responder.motion_id == Motion.id, Responder.acknowledged_at.is_(None),
                                                Responder.acknowledge_by < now - grace)
    return select(Motion).where(
        Motion.state.in_(PENDING), Motion.overdue_at <= now - grace,
        or_(Motion.escalated_at.is_(None), Motion.escalated_at <= now - grace),
        or_(Motion.complete_by < now - grace, unacknowledged.exists()))


def follow_up_due(now: Optional[datetime] = None, config=None) -> bool:
    """Is there anything for ``follow_up`` to do? A read, so that pages look first and
    write only when something is due."""
    config = config or current_app.config
    now = now or utcnow()
    remind = timedelta(hours=config["MOTION_REMIND_HOURS"])
    grace = timedelta(hours=config["MOTION_ESCALATION_GRACE_HOURS"])
    checks = [_due_responders(now, remind), _due_completions(now, remind), _late(now, grace), _rating_ended(now)]
    return any(db.session.scalar(check.limit(1)) is not None for check in checks)


# --- finding ----------------------------------------------------------------------------------

def motions_in(place: Place, *, state: Optional[MotionState] = None, open_only: bool = False,
               page: int = 1, per_page: int = 50):
    query = select(Motion).join(Place, Place.id == Motion.place_id).where(
        Place.path.startswith(place.path, autoescape=True))
    if state is not None:
        query = query.where(Motion.state == state)
    if open_only:
        query = query.where(Motion.state.in_([s.value for s in MotionState if s in PENDING]))
    return db.paginate(query.order_by(Motion.id.desc()), page=page, per_page=per_page, error_out=False)


def time_requests_for(user, *, limit: int = 20) -> list[Motion]:
    """Motions in the places ``user`` moderates whose responder asked for more time and
    waits for an answer, newest request first."""
    grants = [g for g in user.grants if g.role in MODERATORS]
    if not grants:
        return []
    query = select(Motion).join(Place, Place.id == Motion.place_id).where(
        Motion.extension_until.is_not(None), Motion.state.in_(PENDING))
    if not any(g.place is None and g.grid is None for g in grants):
        paths = [g.place.path for g in grants if g.place is not None]
        if not paths:
            return []
        query = query.where(or_(*[Place.path.startswith(p, autoescape=True) for p in paths]))
    return list(db.session.scalars(query.order_by(Motion.id.desc()).limit(limit)))


DESK_TABS = ("new", "due_soon", "overdue", "open", "done")


def desk(organisation: Organisation, tab: str, *, place: Optional[Place] = None, now: Optional[datetime] = None,
         due_soon_hours: int = 48) -> list[Motion]:
    """A responder organisation's queue."""
    now = now or utcnow()
    query = select(Motion).join(Responder).where(Responder.organisation_id == organisation.id)
    if place is not None:
        query = query.join(Place, Place.id == Motion.place_id).where(Place.path.startswith(place.path,
                                                                                        autoescape=True))
    if tab == "new":
        query = query.where(Motion.state.in_(PENDING), Responder.acknowledged_at.is_(None)).order_by(
            Responder.acknowledge_by)
    elif tab == "due_soon":
        query = query.where(Motion.state.in_(PENDING), Motion.complete_by >= now,
                            Motion.complete_by <= now + timedelta(hours=due_soon_hours)).order_by(Motion.complete_by)
    elif tab == "overdue":
        query = query.where(Motion.state.in_(PENDING), or_(
            Motion.complete_by < now, (Responder.acknowledged_at.is_(None) & (Responder.acknowledge_by < now)))
        ).order_by(Motion.complete_by)
    elif tab == "done":
        query = query.where(Motion.state.in_([MotionState.completed, MotionState.closed,
                                              MotionState.withdrawn])).order_by(Motion.id.desc())
    else:
        query = query.where(Motion.state.in_(list(PENDING) + [MotionState.declined, MotionState.reopened])) \
            .order_by(Motion.complete_by)
    return list(db.session.scalars(query.limit(200)))


def desk_counts(organisation: Organisation, *, place: Optional[Place] = None, now: Optional[datetime] = None) -> dict:
    return {tab: len(desk(organisation, tab, place=place, now=now)) for tab in DESK_TABS}
