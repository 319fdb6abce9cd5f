"""A person's own data (PIPL): everything the platform holds about them, to read or to
download, and the deletion of the account.

Deletion keeps the public and legal record whole — proposals, comments, statements,
co-signatures, ratings, attendance and signatures on minutes stay and are counted as
before — but nothing in it names the person any more: the account is renamed "已注销用户",
loses its phone number, username, e-mail address, password, households, roles, devices and
messages, and can never sign in again. A secret vote was never linked to anyone, so it
neither appears in the download nor needs removing."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select

from ..audit import service as audit
from ..clock import utcnow
from ..errors import InvalidInput, NotAllowed
from ..extensions import db
from ..places.models import Relation
from .consent import consents_of
from .models import LoginFailure, OrganisationMember, Role, RoleGrant, SignIn, User
from .passwords import verify_password

DELETED_NAME = "已注销用户"


def _time(moment: Optional[datetime]) -> Optional[datetime]:
    return moment   # naive UTC; as_json writes it as ISO 8601 with a Z


def as_json(data: dict[str, Any]) -> str:
    def encode(value):
        if isinstance(value, datetime):
            return value.isoformat() + "Z"
        raise TypeError(type(value).__name__)
    return json.dumps(data, ensure_ascii=False, indent=2, default=encode)


# The readable page: a heading per part of the download and a label per field.
SECTIONS = {
    "profile": _l("Profile"),
    "households": _l("Households"),
    "roles": _l("Roles"),
    "organisations": _l("Organisations"),
    "proposals": _l("Matters I raised"),
    "comments": _l("My comments"),
    "cosignatures": _l("My co-signatures"),
    "votes": _l("Ballots I voted in"),
    "meetings": _l("Meetings I was invited to or attended"),
    "statements": _l("What I said in meetings"),
    "minutes_signatures": _l("Minutes I signed"),
    "minutes_remarks": _l("My remarks on minutes"),
    "ratings": _l("My ratings of completed work"),
    "notifications": _l("My messages"),
    "delivery_settings": _l("How my messages reach me"),
    "push_subscriptions": _l("Browsers receiving my notifications"),
    "consents": _l("Privacy notices I agreed to"),
    "sign_ins": _l("Sign-ins"),
}

FIELDS = {
    "id": _l("Number"), "name": _l("Name"), "phone": _l("Mobile number"), "username": _l("Username"),
    "email": _l("E-mail address"), "language": _l("Language"), "active": _l("Active"),
    "registered": _l("Registered"), "created_at": _l("Created"), "last_login_at": _l("Last sign-in"),
    "household": _l("Household"), "address": _l("Address"), "area": _l("Floor area (m²)"),
    "relation": _l("Relation"), "designated_voter": _l("Votes for the household"), "since": _l("Since"),
    "role": _l("Role"), "where": _l("Where"), "organisation": _l("Organisation"), "title": _l("Title"),
    "body": _l("Text"), "state": _l("State"), "place": _l("Place"), "on_behalf": _l("Raised on my behalf"),
    "proposal": _l("Matter"), "hidden": _l("Hidden by a moderator"), "at": _l("When"),
    "ballot": _l("Ballot"), "question": _l("Question"), "channel": _l("How"),
    "secret": _l("Secret ballot (the choice is not linked to you)"), "choice": _l("Choice"),
    "meeting": _l("Meeting"), "starts_at": _l("Starts"), "invitation": _l("Invitation"),
    "attended": _l("Attended"), "in_person": _l("In person"), "signed_in_at": _l("Signed in at"),
    "minutes": _l("Minutes"), "version": _l("Version"), "kind": _l("Kind"), "answer": _l("Answer"),
    "motion": _l("Motion"), "round": _l("Round"), "score": _l("Rating"), "comment": _l("Comment"),
    "text": _l("Message"), "read_at": _l("Read"), "emailed_at": _l("E-mailed"), "device": _l("Device"),
    "network": _l("Network"), "last_seen_at": _l("Last seen"), "ended_at": _l("Ended"),
    "channels": _l("Channels per kind of message"), "quiet_hours": _l("Quiet hours"), "digest": _l("Daily digest"),
    "sms_number": _l("Mobile number for SMS"), "sms_verified_at": _l("Confirmed"),
    "wechat_openid": _l("WeChat (openid of the official account)"), "wechat_linked_at": _l("WeChat linked"),
    "endpoint": _l("Push service address"),
}


def export_for(user: User) -> dict[str, Any]:
    """Everything held about ``user``, as plain JSON-able data, grouped by what it is.
    Only the person's own records: other people appear by no name, number or id."""
    from ..meetings.models import Attendance, Invitee, Meeting, Statement
    from ..minutes.models import Minutes, MinutesVersion, Remark, Signature
    from ..motions.models import Motion, Rating
    from ..notifications import preferences as reach
    from ..notifications.models import Notification
    from ..proposals.models import Comment, CoSignature, Proposal
    from ..voting.models import Ballot, BallotVoter, Participation, Secrecy

    rows = lambda query: db.session.execute(query).all()  # noqa: E731
    household_ids = [m.household_id for m in user.memberships]

    participations = []
    for participation, voter, ballot in rows(
            select(Participation, BallotVoter, Ballot)
            .join(BallotVoter, Participation.voter_id == BallotVoter.id)
            .join(Ballot, Participation.ballot_id == Ballot.id)
            .where(or_(BallotVoter.user_id == user.id,
                       (Participation.cast_by_id == user.id) & BallotVoter.household_id.in_(household_ids)))
            .order_by(Participation.at)):
        entry = {"ballot": ballot.id, "question": ballot.question, "at": _time(participation.at),
                 "channel": participation.channel.value, "secret": ballot.secrecy is Secrecy.secret}
        if ballot.secrecy is Secrecy.named:
            entry["choice"] = participation.choice    # a named vote is recorded with the name
        participations.append(entry)

    return {
        "exported_at": _time(utcnow()),
        "profile": {
            "id": user.id, "name": user.name, "phone": user.phone, "username": user.username,
            "email": user.email, "language": user.locale, "active": user.active,
            "registered": user.password_hash is not None, "created_at": _time(user.created_at),
            "last_login_at": _time(user.last_login_at),
        },
        "households": [
            {"household": m.household_id, "address": f"{m.household.place.full_name} {m.household.room}",
             "area": str(m.household.area), "relation": m.relation.value,
             "designated_voter": m.is_designated_voter, "since": _time(m.created_at)}
            for m in user.memberships
        ],
        "roles": [
            {"role": g.role.value, "where": str(g.scope_name),
             "organisation": g.organisation.name if g.organisation else None, "since": _time(g.granted_at)}
            for g in user.grants
        ],
        "organisations": [
            {"organisation": m.organisation.name, "title": m.title, "since": _time(m.created_at)}
            for m in db.session.scalars(select(OrganisationMember).where(OrganisationMember.user_id == user.id))
        ],
        "proposals": [
            {"id": p.id, "title": p.title, "body": p.body, "state": p.state.value,
             "place": p.place.full_name, "on_behalf": p.on_behalf, "created_at": _time(p.created_at)}
            for p in db.session.scalars(select(Proposal).where(Proposal.author_id == user.id).order_by(Proposal.id))
        ],
        "comments": [
            {"id": c.id, "proposal": c.proposal_id, "body": c.body, "hidden": c.hidden_reason is not None,
             "created_at": _time(c.created_at)}
            for c in db.session.scalars(select(Comment).where(Comment.author_id == user.id).order_by(Comment.id))
        ],
        "cosignatures": [
            {"proposal": s.proposal_id, "title": s.proposal.title, "household": s.household_id, "at": _time(s.at)}
            for s in db.session.scalars(select(CoSignature).where(CoSignature.user_id == user.id)
                                        .order_by(CoSignature.id))
        ],
        "votes": participations,
        "meetings": [
            {"meeting": meeting.id, "title": meeting.title, "starts_at": _time(meeting.starts_at),
             "invitation": invitee.response.value if invitee else None,
             "attended": attendance is not None,
             "in_person": attendance.in_person if attendance else None,
             "signed_in_at": _time(attendance.at) if attendance else None}
            for meeting, invitee, attendance in rows(
                select(Meeting, Invitee, Attendance)
                .outerjoin(Invitee, (Invitee.meeting_id == Meeting.id) & (Invitee.user_id == user.id))
                .outerjoin(Attendance, (Attendance.meeting_id == Meeting.id) & (Attendance.user_id == user.id))
                .where(or_(Invitee.id.is_not(None), Attendance.id.is_not(None)))
                .order_by(Meeting.starts_at))
        ],
        "statements": [
            {"meeting": s.meeting_id, "body": s.body, "hidden": s.hidden_reason is not None, "at": _time(s.at)}
            for s in db.session.scalars(select(Statement).where(Statement.author_id == user.id)
                                        .order_by(Statement.id))
        ],
        "minutes_signatures": [
            {"minutes": minutes.id, "version": version.number, "title": version.title,
             "role": signature.role.value, "at": _time(signature.at)}
            for signature, version, minutes in rows(
                select(Signature, MinutesVersion, Minutes)
                .join(MinutesVersion, Signature.version_id == MinutesVersion.id)
                .join(Minutes, MinutesVersion.minutes_id == Minutes.id)
                .where(Signature.user_id == user.id).order_by(Signature.id))
        ],
        "minutes_remarks": [
            {"minutes": r.minutes_id, "kind": r.kind.value, "body": r.body, "answer": r.answer, "at": _time(r.at)}
            for r in db.session.scalars(select(Remark).where(Remark.author_id == user.id).order_by(Remark.id))
        ],
        "ratings": [
            {"motion": motion.id, "title": motion.title, "round": rating.round, "score": rating.score.value,
             "comment": rating.comment, "at": _time(rating.at)}
            for rating, motion in rows(select(Rating, Motion).join(Motion, Rating.motion_id == Motion.id)
                                       .where(Rating.user_id == user.id).order_by(Rating.id))
        ],
        "notifications": [
            {"text": n.text, "created_at": _time(n.created_at), "read_at": _time(n.read_at),
             "emailed_at": _time(n.emailed_at)}
            for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                        .order_by(Notification.id))
        ],
        **reach.personal_data(user),   # delivery settings, push subscriptions
        "consents": [
            {"version": c.version, "at": _time(c.at)} for c in consents_of(user)
        ],
        "sign_ins": [
            {"device": s.device, "network": s.network, "created_at": _time(s.created_at),
             "last_seen_at": _time(s.last_seen_at), "ended_at": _time(s.ended_at)}
            for s in db.session.scalars(select(SignIn).where(SignIn.user_id == user.id).order_by(SignIn.id))
        ],
    }


def _last_global_administrator(user: User) -> bool:
    if not any(g.role is Role.administrator and g.place_id is None and g.grid_id is None for g in user.grants):
        return False
    others = db.session.scalar(select(RoleGrant.id).where(
        RoleGrant.role == Role.administrator, RoleGrant.place_id.is_(None), RoleGrant.grid_id.is_(None),
        RoleGrant.user_id != user.id).limit(1))
    return others is None


def delete_account(user: User, password: str, *, actor) -> list[str]:
    """The person deletes their own account, confirming with their password. Returns the
    tokens of the sign-ins ended. See the module's description for what stays."""
    from ..meetings.models import RaisedHand
    from ..notifications.models import Notification
    from .service import _end_sign_ins

    if getattr(actor, "id", None) != user.id:
        raise NotAllowed(_l("Only the person themselves can delete their account."))
    if not verify_password(user.password_hash, password):
        raise InvalidInput(_l("The password is wrong."))
    if _last_global_administrator(user):
        raise NotAllowed(_l("You are the only administrator of the whole installation: name another one first."))

    ended = _end_sign_ins(user)
    handles = [h for h in (user.phone, user.username) if h]
    for member in list(user.memberships):
        household = member.household
        household.members.remove(member)
        db.session.flush()
        if member.is_designated_voter:
            heir = next((m for m in household.members if m.relation is Relation.owner), None)
            if heir is not None:
                heir.is_designated_voter = True
    user.grants.clear()
    db.session.execute(delete(OrganisationMember).where(OrganisationMember.user_id == user.id))
    from ..notifications import outbox, reminders

    outbox.forget(user)   # deliveries, the verified number and choices
    reminders.forget(user)
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(delete(RaisedHand).where(RaisedHand.user_id == user.id))
    db.session.execute(delete(SignIn).where(SignIn.user_id == user.id))
    if handles:
        db.session.execute(delete(LoginFailure).where(
            LoginFailure.key.in_([f"account:{h.lower()}" for h in handles])))
    user.name = DELETED_NAME
    user.phone = user.username = user.email = user.password_hash = user.locale = None
    user.active = False
    user.deleted_at = utcnow()
    audit.record("account.delete", user, actor=actor)
    return ended
