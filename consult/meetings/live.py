"""The live room over Socket.IO: a thin transport over the meetings service.

* ``connect`` (auth ``{meeting, last_seq}``) checks the session and the invitation, joins
  the meeting's room and sends every event after ``last_seq``, in order: a phone that lost
  its connection catches up without reloading. python-socketio has no recovery of its own.
* ``act`` (``{action, …}``) runs one service call as one transaction and answers only after
  the commit; the events it wrote are then broadcast to the room (``_broadcast``).
  Who acts is checked again at every event: a revoked role, a password change or a
  sign-out elsewhere stops the connection from acting.
* Ballot tallies are not events: casts mark a ballot, and a ticker in each process sends
  the room one tally, counted in the database, at most every ``TALLY_INTERVAL`` seconds.
"""
from __future__ import annotations

import threading

from flask import current_app, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import emit, join_room

from ..accounts.models import User
from ..database import on_commit, unit_of_work
from ..errors import DomainError, InvalidInput, NotAllowed, NotFound
from ..extensions import db, socketio
from . import service as meetings
from .models import AgendaItem, Meeting, SignedOut, Statement

TALLY_INTERVAL = 0.1


def room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


@meetings.events_committed.connect
def _broadcast(_sender, *, events) -> None:
    """After a commit: send each room the events the transaction wrote, whichever
    transport made them (a room action, a page, the background loop)."""
    for meeting_id, message in events:
        socketio.emit("event", message, to=room(meeting_id))


# --- connecting ----------------------------------------------------------------------------

def _signed_out() -> bool:
    login_id = session.get("login_id")
    return login_id is not None and db.session.get(SignedOut, login_id) is not None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@socketio.on("connect")
def connect(auth=None):
    auth = auth if isinstance(auth, dict) else {}
    if not current_user.is_authenticated or _signed_out():
        raise ConnectionRefusedError("unauthorized")
    meeting = db.session.get(Meeting, _int(auth.get("meeting")) or 0)
    if meeting is None or not meetings.can_enter(current_user, meeting):
        raise ConnectionRefusedError("not_invited")
    session["meeting_id"] = meeting.id
    join_room(room(meeting.id))
    if session.get("login_id"):
        join_room(f"login:{session['login_id']}")
    missed = meetings.events_after(meeting, _int(auth.get("last_seq")) or 0)
    if missed:
        emit("events", [e.as_message() for e in missed])


@socketio.on("since")
def since(data):
    """Events after a sequence number: a client that saw a gap asks for what it missed."""
    meeting = _meeting()
    if meeting is None:
        return {"ok": False, "error": {"code": "not_allowed"}}
    events = meetings.events_after(meeting, _int((data or {}).get("seq")) or 0)
    return {"ok": True, "events": [e.as_message() for e in events]}


def _meeting() -> Meeting | None:
    if not current_user.is_authenticated or _signed_out():
        return None
    meeting = db.session.get(Meeting, session.get("meeting_id") or 0)
    if meeting is None or not meetings.can_enter(current_user, meeting):
        return None
    return meeting


# --- acting --------------------------------------------------------------------------------

def _person(data, key="user") -> User:
    person = db.session.get(User, _int(data.get(key)) or 0)
    if person is None:
        raise NotFound(_("This person does not exist."))
    return person


def _person_by_handle(data) -> User:
    from ..accounts import service as accounts

    if data.get("user"):
        return _person(data)
    person = accounts.find_by_login(str(data.get("handle") or ""))
    if person is None:
        raise NotFound(_("Nobody with this phone number or username is registered."))
    return person


def _item(meeting: Meeting, data) -> AgendaItem:
    item = db.session.get(AgendaItem, _int(data.get("item")) or 0)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound(_("This item is not on the meeting's agenda."))
    return item


def _ballot(meeting: Meeting, data):
    from ..voting.models import Ballot

    ballot = db.session.get(Ballot, _int(data.get("ballot")) or 0)
    if ballot is None or ballot.meeting_id != meeting.id:
        raise NotFound(_("This ballot is not of this meeting."))
    return ballot


def _cast(meeting, actor, data):
    from ..voting import service as voting

    ballot = _ballot(meeting, data)
    choice = data.get("choice")
    receipt = voting.cast(ballot, actor=actor, choice=choice if isinstance(choice, (str, list)) else "",
                          client_key=str(data.get("client_key") or "")[:64] or None)
    _mark_dirty(ballot.id, meeting.id)
    return {"receipt": receipt}


def _open_ballot(meeting, actor, data):
    from ..voting.models import BallotKind, Secrecy

    try:
        kind = BallotKind(data.get("kind") or "yes_no")
    except ValueError:
        raise InvalidInput(_("Unknown kind of ballot."))
    options = data.get("options") or []
    if isinstance(options, str):
        options = options.splitlines()
    ballot = meetings.open_ballot(meeting, actor=actor, question=str(data.get("question") or ""),
                                  rule=str(data.get("rule") or "simple_majority"), kind=kind,
                                  options=[str(o) for o in options], max_choices=_int(data.get("max_choices")) or 1,
                                  secrecy=Secrecy.secret if data.get("secret") else Secrecy.named)
    return {"ballot": ballot.id}


ACTIONS = {
    "sign_in": lambda m, a, d: meetings.sign_in(m, actor=a),
    "mark_present": lambda m, a, d: meetings.mark_present(m, _person_by_handle(d), actor=a),
    "start": lambda m, a, d: meetings.change_state(m, "start", actor=a),
    "pause": lambda m, a, d: meetings.change_state(m, "pause", actor=a),
    "resume": lambda m, a, d: meetings.change_state(m, "resume", actor=a),
    "end": lambda m, a, d: meetings.change_state(m, "end", actor=a),
    "item": lambda m, a, d: meetings.set_item(m, _item(m, d), actor=a),
    "decision": lambda m, a, d: meetings.record_decision(m, _item(m, d), actor=a, text=str(d.get("text") or "")),
    "speakers": lambda m, a, d: meetings.set_speakers_open(m, bool(d.get("open")), actor=a),
    "raise_hand": lambda m, a, d: meetings.raise_hand(m, actor=a),
    "lower_hand": lambda m, a, d: meetings.lower_hand(m, _person(d) if d.get("user") else a, actor=a),
    "lower_all": lambda m, a, d: meetings.lower_all_hands(m, actor=a),
    "give_floor": lambda m, a, d: meetings.give_floor(m, _person(d), actor=a, seconds=_int(d.get("seconds"))),
    "take_floor": lambda m, a, d: meetings.take_floor(m, actor=a),
    "statement": lambda m, a, d: meetings.post_statement(m, actor=a, body=str(d.get("body") or "")),
    "hide_statement": lambda m, a, d: meetings.hide_statement(
        m, db.session.get(Statement, _int(d.get("id")) or 0) or _missing_statement(), actor=a,
        reason=str(d.get("reason") or "")),
    "ballot_open": _open_ballot,
    "ballot_close": lambda m, a, d: meetings.close_ballot(m, _ballot(m, d), actor=a),
    "cast": _cast,
}


def _missing_statement():
    raise NotFound(_("This statement does not exist."))


@socketio.on("act")
def act(data):
    """One room action; the answer comes after the commit: ``{ok: true, seq, …}`` or
    ``{ok: false, error: {code, message}}``."""
    data = data if isinstance(data, dict) else {}
    try:
        meeting = _meeting()
        if meeting is None:
            raise NotAllowed(_("You may no longer act in this meeting."))
        action = ACTIONS.get(str(data.get("action")))
        if action is None:
            raise InvalidInput(_("Unknown action."))
        with unit_of_work():
            value = action(meeting, current_user._get_current_object(), data)
            events = meetings.events_written()
    except DomainError as error:
        return {"ok": False, "error": {"code": error.code, "message": str(error.message)}}
    answer = {"ok": True, "seq": events[-1][1]["seq"] if events else None}
    if isinstance(value, dict):
        answer.update(value)
    return answer


# --- tallies, coalesced --------------------------------------------------------------------

IDLE_TICKS = 25   # a ticker with nothing to send for this many ticks stops; the next cast restarts it


class _Tallies:
    """Per app: ballots cast in since the last tick, and whether a ticker runs."""

    def __init__(self):
        self.dirty: dict[int, int] = {}
        self.lock = threading.Lock()
        self.running = False


def _tallies(app) -> _Tallies:
    return app.extensions.setdefault("consult_tallies", _Tallies())


def _mark_dirty(ballot_id: int, meeting_id: int) -> None:
    app = current_app._get_current_object()
    tallies = _tallies(app)
    with tallies.lock:
        tallies.dirty[ballot_id] = meeting_id
        start, tallies.running = not tallies.running, True
    if start:
        socketio.start_background_task(_tick, app)


def tally_message(ballot) -> dict:
    """What the room sees while a ballot is open: turnout; and the count of a named ballot."""
    from ..voting import service as voting
    from ..voting.models import Secrecy

    message = {"ballot": ballot.id, "cast": voting.turnout(ballot).headcount,
               "eligible": voting.electorate_size(ballot).headcount}
    if ballot.secrecy is Secrecy.named:
        counted = voting.tally(ballot)
        message["marks"] = {key: counted.of(key).headcount for key in ballot.choices()}
    return message


def _tick(app) -> None:
    from ..voting.models import Ballot

    tallies, idle = _tallies(app), 0
    while True:
        socketio.sleep(TALLY_INTERVAL)
        with tallies.lock:
            due = dict(tallies.dirty)
            tallies.dirty.clear()
            idle = 0 if due else idle + 1
            if idle >= IDLE_TICKS:
                tallies.running = False
                return
        if not due:
            continue
        with app.app_context():
            try:
                for ballot_id, meeting_id in due.items():
                    ballot = db.session.get(Ballot, ballot_id)
                    if ballot is not None:
                        socketio.emit("tally", tally_message(ballot), to=room(meeting_id))
            finally:
                db.session.remove()


def sign_out(login_id: str | None) -> None:
    """Called at sign-out: the live connections of that sign-in may no longer act."""
    if not login_id:
        return
    if db.session.get(SignedOut, login_id) is None:
        db.session.add(SignedOut(login_id=login_id))
    on_commit(lambda: socketio.emit("signed_out", {}, to=f"login:{login_id}"))
