"""Conventions: a moderator drafts the text; the residents of the place read it (公示) while
it is a draft; the moderator puts it to a ballot — one vote per household, or the owners
by headcount and area for management rules (Civil Code art. 278) — and the ballot's result
adopts or rejects it. An adopted version is published with its number and SHA-256 and
never changes; an amendment is a new version, with its reason, adopted the same way."""
from __future__ import annotations

from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import permissions
from ..audit import service as audit
from ..clock import utcnow
from ..errors import Conflict, InvalidInput, InvalidTransition
from ..extensions import db
from ..notifications import service as notifications
from ..places import service as places
from ..places.models import Place
from ..voting import service as voting
from ..voting.models import Electorate, Secrecy
from .models import Convention, ConventionKind, ConventionVersion, VersionState

TITLE_MAX, BODY_MAX, REASON_MAX = 100, 20000, 2000
# How each kind of convention is adopted.
ADOPTION = {
    ConventionKind.residents: (Electorate.households, "simple_majority"),
    ConventionKind.procedure: (Electorate.households, "simple_majority"),
    ConventionKind.management: (Electorate.owners, "civil_code_278"),
}


def can_view_convention(user, convention: Convention) -> bool:
    return permissions.can_view_place(user, convention.place)


def can_draft(user, place: Place) -> bool:
    return permissions.moderates(user, place)


def _body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_l("Write the text of the convention."))
    if len(body) > BODY_MAX:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=BODY_MAX))
    return body


def draft_convention(place: Place, *, actor, kind: ConventionKind, title: str, body: str) -> Convention:
    permissions.require(can_draft(actor, place), _l("Only a moderator of this place can draft a convention."))
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise InvalidInput(_l("Give the convention a title of at most %(n)d characters.", n=TITLE_MAX))
    if db.session.scalar(select(Convention.id).where(Convention.place_id == place.id, Convention.title == title)):
        raise Conflict(_l("There is already a convention named “%(name)s” here.", name=title))
    convention = Convention(place=place, kind=kind, title=title, created_by_id=actor.id)
    convention.versions.append(ConventionVersion(number=1, body=_body(body), created_by_id=actor.id))
    db.session.add(convention)
    db.session.flush()
    audit.record("convention.draft", convention, actor=actor, place=place, version=1)
    return convention


def edit_draft(version: ConventionVersion, *, actor, body: str) -> ConventionVersion:
    convention = version.convention
    permissions.require(can_draft(actor, convention.place))
    if version.state is not VersionState.draft:
        raise InvalidTransition(_l("Only a draft can be changed."))
    version.body = _body(body)
    audit.record("convention.edit", convention, actor=actor, place=convention.place, version=version.number)
    return version


def amend(convention: Convention, *, actor, body: str, reason: str) -> ConventionVersion:
    """修订: a new version of a convention in force, with the reason for the change."""
    permissions.require(can_draft(actor, convention.place))
    if convention.in_force is None:
        raise InvalidTransition(_l("Only a convention in force is amended; change its draft instead."))
    if convention.pending is not None:
        raise Conflict(_l("An amendment is already being drafted or voted on."))
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(_l("Say why the convention is amended."))
    body = _body(body)
    if body == convention.in_force.body.strip():
        raise InvalidInput(_l("The amendment changes nothing."))
    version = ConventionVersion(number=convention.versions[-1].number + 1, body=body, reason=reason,
                                created_by_id=actor.id)
    convention.versions.append(version)
    db.session.flush()
    audit.record("convention.amend", convention, actor=actor, place=convention.place, version=version.number)
    return version


def put_to_vote(version: ConventionVersion, *, actor, closes_at=None) -> ConventionVersion:
    """表决: the draft goes to a ballot of the place, open at once; its result decides."""
    convention = version.convention
    permissions.require(can_draft(actor, convention.place))
    if version.state is not VersionState.draft:
        raise InvalidTransition(_l("Only a draft can be put to the vote."))
    electorate, rule = ADOPTION[convention.kind]
    question = str(_l("Adopt “%(title)s”, version %(n)d?", title=convention.title, n=version.number))
    ballot = voting.draft_ballot(convention.place, actor=actor, question=question[:200], electorate=electorate,
                                 secrecy=Secrecy.secret, rule=rule, closes_at=closes_at)
    voting.open_ballot(ballot, actor=actor)
    version.ballot, version.state = ballot, VersionState.voting
    audit.record("convention.vote", convention, actor=actor, place=convention.place, version=version.number,
                 ballot=ballot.id)
    return version


def ballot_closed(ballot, *, passed: bool, summary: str) -> None:
    """The ballot of a version was counted: adopted (published with its hash, the version
    before superseded) or not adopted."""
    version = db.session.scalar(select(ConventionVersion).where(ConventionVersion.ballot_id == ballot.id))
    if version is None or version.state is not VersionState.voting:
        return
    convention = version.convention
    if passed:
        previous = convention.in_force
        if previous is not None:
            previous.state = VersionState.superseded
        version.state, version.adopted_at = VersionState.adopted, utcnow()
        db.session.flush()
        version.sha256 = version.digest()
        notifications.notify(places.residents_of(convention.place), "convention.adopted",
                             convention=convention.id, title=convention.title)
    else:
        version.state = VersionState.rejected
    audit.record("convention.adopt" if passed else "convention.reject", convention, actor=None,
                 place=convention.place, version=version.number, sha256=version.sha256)


def conventions_in(place: Place) -> list[Convention]:
    """The conventions of the place and of the places above it (a community's convention
    holds in its buildings)."""
    return list(db.session.scalars(select(Convention).where(Convention.place_id.in_(place.ancestor_ids))
                                   .order_by(Convention.created_at, Convention.id)))


def version_of(convention: Convention, number: int) -> Optional[ConventionVersion]:
    return next((v for v in convention.versions if v.number == number), None)
