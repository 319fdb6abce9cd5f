"""The rules of minutes: who writes, who signs, what freezes, when residents may object,
when the minutes are archived, and how a correction is made."""
from __future__ import annotations

import difflib
import hashlib
import json
from datetime import datetime, timedelta
from typing import Iterable, Optional

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import permissions
from ..audit import service as audit
from ..accounts.models import User
from ..clock import utcnow
from ..errors import InvalidInput, InvalidTransition, NotAllowed
from ..extensions import db
from ..meetings.models import Attendance, Meeting, MeetingState
from ..notifications import service as notifications
from ..privacy import mask_personal_numbers
from ..places import service as places
from ..places.models import Place
from . import draft
from .lifecycle import TRANSITIONS
from .models import Minutes, MinutesState, MinutesVersion, Remark, RemarkKind, Signature, Signer, SignerRole, \
    StatementDetail
from .signals import minutes_published

TITLE_MAX = 200
BODY_MAX = 100_000
REMARK_MAX = 2000


# --- who may do what: the rules are in ``permissions`` ------------------------------------------

def _require(allowed: bool) -> None:
    if not allowed:
        raise NotAllowed(_l("You may not do this with these minutes."))


# --- text -------------------------------------------------------------------------------------

def _clean(text: Optional[str], limit: int, message) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(message)
    if len(text) > limit:
        raise InvalidInput(_l("This is too long: at most %(n)d characters.", n=limit))
    return mask_personal_numbers(text)   # phone and ID-card numbers never stand in minutes


# --- drafting -----------------------------------------------------------------------------------

def minutes_of(meeting: Meeting) -> Optional[Minutes]:
    return db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting.id))


def draft_when_a_meeting_ends(meeting: Meeting, *, actor=None) -> None:
    start(meeting, actor=actor)


def start(meeting: Meeting, *, actor=None) -> Minutes:
    """The draft, written when the meeting ends. The moderator signs; representatives are
    named by the recorder or the moderator."""
    existing = minutes_of(meeting)
    if existing is not None:
        return existing
    if meeting.state is not MeetingState.ended:
        raise InvalidTransition(_l("Minutes are drafted when the meeting has ended."))
    minutes = Minutes(meeting=meeting, place_id=meeting.place_id, state=MinutesState.draft)
    title, body = draft.write(meeting, StatementDetail.summary)
    minutes.versions.append(MinutesVersion(number=1, title=title[:TITLE_MAX], body=mask_personal_numbers(body),
                                           created_by_id=getattr(actor, "id", None)))
    minutes.signers.append(Signer(user_id=meeting.moderator_id, role=SignerRole.moderator))
    db.session.add(minutes)
    db.session.flush()
    audit.record("minutes.draft", minutes, actor=actor, place=meeting.place, meeting=meeting.id)
    writers = {meeting.moderator_id} | ({meeting.recorder_id} if meeting.recorder_id else set())
    notifications.notify_ids(writers, "minutes.draft", minutes=minutes.id, title=meeting.title)
    return minutes


def _editable(minutes: Minutes) -> MinutesVersion:
    version = minutes.latest
    if not TRANSITIONS.allows(minutes.state, "edit") or version.frozen:
        raise InvalidTransition(_l("Only a draft can be changed: signed minutes are corrected by a new version."))
    return version


def redraft(minutes: Minutes, *, actor, statements: StatementDetail) -> MinutesVersion:
    """Write the draft again from the event log, with statements summarised or in full.
    The recorder's edits to this version are replaced."""
    _require(permissions.can_write_minutes(actor, minutes))
    version = _editable(minutes)
    if version.number != 1:
        raise InvalidTransition(_l("A correction is edited by hand."))
    minutes.statements = statements
    title, body = draft.write(minutes.meeting, statements)
    version.title, version.body, version.updated_at = title[:TITLE_MAX], mask_personal_numbers(body), utcnow()
    audit.record("minutes.redraft", minutes, actor=actor, place=minutes.place, statements=statements.value)
    return version


def edit(minutes: Minutes, *, actor, title: str, body: str) -> MinutesVersion:
    _require(permissions.can_write_minutes(actor, minutes))
    version = _editable(minutes)
    version.title = _clean(title, TITLE_MAX, _l("Give the minutes a title."))
    version.body = _clean(body, BODY_MAX, _l("The minutes are empty."))
    version.updated_at = utcnow()
    audit.record("minutes.edit", minutes, actor=actor, place=minutes.place, version=version.number)
    return version


def attendees(minutes: Minutes) -> list[User]:
    """Who attended, in address order."""
    from ..places import service as places

    came = select(User).join(Attendance, Attendance.user_id == User.id).where(
        Attendance.meeting_id == minutes.meeting_id)
    return places.people_in_address_order(db.session.scalars(came), minutes.place)


def name_representatives(minutes: Minutes, *, actor, people: Iterable[User]) -> list[Signer]:
    """The representatives who sign with the moderator: people who attended."""
    _require(permissions.can_write_minutes(actor, minutes))
    _editable(minutes)
    present = {u.id for u in attendees(minutes)}
    chosen = {p.id for p in people}
    if chosen - present:
        raise InvalidInput(_l("Representatives are chosen among those who attended."))
    chosen.discard(minutes.meeting.moderator_id)
    for signer in [s for s in minutes.signers if s.role is SignerRole.representative and s.user_id not in chosen]:
        minutes.signers.remove(signer)
    known = {s.user_id for s in minutes.signers}
    for user_id in sorted(chosen - known):
        minutes.signers.append(Signer(user_id=user_id, role=SignerRole.representative))
    audit.record("minutes.representatives", minutes, actor=actor, place=minutes.place, people=sorted(chosen))
    return minutes.signers


# --- signing ----------------------------------------------------------------------------------

def submit(minutes: Minutes, *, actor) -> Minutes:
    """The recorder hands the draft to the signers."""
    _require(permissions.can_write_minutes(actor, minutes))
    _editable(minutes)
    minutes.state = TRANSITIONS.require(minutes.state, "submit").target
    audit.record("minutes.submit", minutes, actor=actor, place=minutes.place, version=minutes.latest.number)
    notifications.notify_ids([s.user_id for s in minutes.signers], "minutes.sign", skip=actor, minutes=minutes.id,
                             title=minutes.meeting.title)
    return minutes


def return_to_draft(minutes: Minutes, *, actor, reason: str) -> Minutes:
    """A signer (or the recorder) sends the draft back; signatures given so far lapse."""
    _require(permissions.signs_minutes(actor, minutes) or permissions.can_write_minutes(actor, minutes))
    step = TRANSITIONS.require(minutes.state, "return", _l("Only minutes waiting for signatures can be sent back."))
    reason = _clean(reason, REMARK_MAX, _l("Say what should change."))
    version = minutes.latest
    for signature in list(version.signatures):
        version.signatures.remove(signature)
    minutes.state = step.target
    audit.record("minutes.return", minutes, actor=actor, place=minutes.place, reason=reason)
    notifications.notify_ids(_writer_ids(minutes), "minutes.returned", skip=actor, minutes=minutes.id,
                             title=minutes.meeting.title)
    return minutes


def _writer_ids(minutes: Minutes) -> set[int]:
    meeting = minutes.meeting
    return {meeting.moderator_id} | ({meeting.recorder_id} if meeting.recorder_id else set())


def sign(minutes: Minutes, *, actor) -> Minutes:
    TRANSITIONS.require(minutes.state, "sign", _l("These minutes are not waiting for signatures."))
    signer = next((s for s in minutes.signers if s.user_id == getattr(actor, "id", None)), None)
    _require(signer is not None)
    version = minutes.latest
    if any(s.user_id == actor.id for s in version.signatures):
        raise InvalidTransition(_l("You have already signed."))
    version.signatures.append(Signature(user_id=actor.id, role=signer.role, at=utcnow()))
    audit.record("minutes.sign", minutes, actor=actor, place=minutes.place, version=version.number)
    if {s.user_id for s in version.signatures} >= {s.user_id for s in minutes.signers}:
        _freeze(minutes, version)
    return minutes


def to_sign_by(user, *, limit: int = 20) -> list[Minutes]:
    """Minutes waiting for ``user``'s signature on their latest version, newest first."""
    rows = db.session.scalars(select(Minutes).join(Signer).where(
        Signer.user_id == user.id, Minutes.state == MinutesState.signing).order_by(Minutes.id.desc())
        .limit(limit)).all()
    return [m for m in rows if not any(s.user_id == user.id for s in m.latest.signatures)]


def signatures_missing(minutes: Minutes) -> list[Signer]:
    """The signers who have not signed the latest version yet."""
    signed = {s.user_id for s in minutes.latest.signatures} if minutes.latest else set()
    return [s for s in minutes.signers if s.user_id not in signed]


def canonical(version: MinutesVersion) -> str:
    """The content a signature covers, as one text: what the hash is taken of."""
    minutes = version.minutes
    content = {
        "minutes": minutes.id, "meeting": minutes.meeting_id, "place": minutes.place.full_name,
        "version": version.number, "title": version.title, "body": version.body, "reason": version.reason,
        "signatures": [{"user": s.user_id, "role": s.role.value, "at": s.at.isoformat(timespec="seconds") + "Z"}
                       for s in sorted(version.signatures, key=lambda s: (s.at, s.user_id))],
    }
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify(version: MinutesVersion) -> bool:
    """The stored hash matches both the stored canonical text and the version as it is now."""
    return (version.sha256 is not None and version.canonical is not None
            and sha256(version.canonical) == version.sha256 and canonical(version) == version.canonical)


def _freeze(minutes: Minutes, version: MinutesVersion) -> None:
    now = utcnow()
    version.canonical = canonical(version)
    version.sha256 = sha256(version.canonical)
    version.signed_at = now
    first = version.number == 1
    if first:
        days = current_app.config["MINUTES_PUBLICITY_DAYS"]
        minutes.state, minutes.published_at = TRANSITIONS["publish"].target, now
        minutes.publicity_ends_at = now + timedelta(days=days)
        readers = {u.id for u in places.residents_of(minutes.place)} | {a.id for a in attendees(minutes)}
        notifications.notify_ids(readers, "minutes.published", minutes=minutes.id, title=minutes.meeting.title)
        minutes_published.send(minutes)
    else:
        minutes.state = MinutesState.archived if minutes.archived_at else MinutesState.publicity
        notifications.notify_ids({a.id for a in attendees(minutes)} | _writer_ids(minutes), "minutes.corrected",
                                 minutes=minutes.id, title=minutes.meeting.title)
    audit.record("minutes.signed", minutes, actor=None, place=minutes.place, version=version.number,
                 sha256=version.sha256)


# --- publicity (公示) ---------------------------------------------------------------------------

def remark(minutes: Minutes, *, actor, kind: RemarkKind, body: str) -> Remark:
    TRANSITIONS.require(minutes.state, "remark", _l("Comments and objections are taken during the publicity period."))
    _require(permissions.can_remark_minutes(actor, minutes))
    entry = Remark(minutes=minutes, version=minutes.current, kind=kind, author_id=actor.id,
                   body=_clean(body, REMARK_MAX, _l("Write your comment.")), at=utcnow())
    db.session.add(entry)
    audit.record(f"minutes.{kind.value}", minutes, actor=actor, place=minutes.place)
    if kind is RemarkKind.objection:
        notifications.notify_ids(_writer_ids(minutes), "minutes.objection", skip=actor, minutes=minutes.id,
                                 title=minutes.meeting.title)
    return entry


def answer(remark: Remark, *, actor, body: str) -> Remark:
    minutes = remark.minutes
    _require(permissions.can_answer_remark(actor, minutes))
    if remark.answer is not None:
        raise InvalidTransition(_l("This has been answered already."))
    remark.answer = _clean(body, REMARK_MAX, _l("Write the answer."))
    remark.answered_by_id, remark.answered_at = actor.id, utcnow()
    audit.record("minutes.answer", minutes, actor=actor, place=minutes.place, remark=remark.id)
    notifications.notify_ids([remark.author_id], "minutes.answered", skip=actor, minutes=minutes.id,
                             title=minutes.meeting.title)
    return remark


def open_objections(minutes: Minutes) -> list[Remark]:
    return [r for r in minutes.remarks if r.kind is RemarkKind.objection and r.answer is None]


def _archive_due(now: datetime, within=None):
    query = select(Minutes).where(Minutes.state.in_(TRANSITIONS["archive"].sources), Minutes.publicity_ends_at <= now)
    if within is not None:
        query = query.where(Minutes.place_id.in_(within.descendants_query().with_only_columns(Place.id)))
    return query


def _archive(minutes: Minutes, now: datetime) -> bool:
    if not is_archive_due(minutes, now):
        return False
    minutes.state, minutes.archived_at = TRANSITIONS["archive"].target, now
    audit.record("minutes.archive", minutes, actor=None, place=minutes.place)
    return True


def archive_due(now: Optional[datetime] = None, within=None) -> int:
    """Minutes whose publicity period has ended, and whose objections are all answered, go
    into the archive (those of ``within`` and below, or all). Run by the server's loop and,
    for what a page shows, on access."""
    now = now or utcnow()
    return sum(_archive(minutes, now) for minutes in db.session.scalars(_archive_due(now, within)))


def archive_if_due(minutes: Minutes, now: Optional[datetime] = None) -> bool:
    """The same for the one minutes a page shows."""
    return _archive(minutes, now or utcnow())


def is_archive_due(minutes: Minutes, now: Optional[datetime] = None) -> bool:
    return (TRANSITIONS.allows(minutes.state, "archive") and minutes.publicity_ends_at <= (now or utcnow())
            and not open_objections(minutes))


def archive_is_due(now: Optional[datetime] = None, within=None) -> bool:
    return db.session.scalar(_archive_due(now or utcnow(), within).limit(1)) is not None


# --- corrections -------------------------------------------------------------------------------

def correct(minutes: Minutes, *, actor, reason: str) -> MinutesVersion:
    """A new version of signed minutes, with the reason; it is edited, then signed by the
    same signers, and gets its own hash. Earlier versions stay as they are."""
    _require(permissions.can_write_minutes(actor, minutes))
    step = TRANSITIONS.require(minutes.state, "correct", _l("Only signed minutes are corrected."))
    reason = _clean(reason, REMARK_MAX, _l("Say why the minutes are corrected."))
    before = minutes.current
    version = MinutesVersion(number=minutes.latest.number + 1, title=before.title, body=before.body, reason=reason,
                             created_by_id=actor.id)
    minutes.versions.append(version)
    minutes.state = step.target
    audit.record("minutes.correct", minutes, actor=actor, place=minutes.place, version=version.number)
    return version


def previous(version: MinutesVersion) -> Optional[MinutesVersion]:
    earlier = [v for v in version.minutes.versions if v.number < version.number and v.frozen]
    return earlier[-1] if earlier else None


def diff(old: MinutesVersion, new: MinutesVersion) -> list[tuple[str, str]]:
    """Line by line: ("same" | "removed" | "added", line)."""
    out: list[tuple[str, str]] = []
    a, b = old.body.splitlines(), new.body.splitlines()
    if old.title != new.title:
        out += [("removed", old.title), ("added", new.title)]
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out += [("same", line) for line in a[i1:i2]]
        else:
            out += [("removed", line) for line in a[i1:i2]] + [("added", line) for line in b[j1:j2]]
    return out

