"""The live room over Socket.IO: a thin transport over the meetings service.

* ``connect`` (auth ``{meeting, last_seq}``) checks the session and the invitation, joins
  the meeting's room and sends every event after ``last_seq``, in order: a phone that lost
  its connection catches up without reloading. python-socketio has no recovery of its own.
* ``act`` (``{action, …}``) runs one service call as one transaction and answers only after
  the commit; the events it wrote are then broadcast to the room (``_broadcast``).
  Who acts is checked again at every event: a revoked role, a password change or a
  sign-out elsewhere stops the connection from acting.
* Every message is answered, whatever it holds: it is checked against its schema
  (``schema.py``) and the room's limits (``limits.py``) before any query; a malformed
  one, one over a limit, one that finds no database connection free or one that fails
  gets ``{ok: false, error: {code, message}}``, a handshake a refusal with its reason.
  The database connection is given back as soon as the handler has what it needs.
* Each connection also joins its language's part of the room: an event with words of the
  system (a for/against ballot's marks, a count's explanation: ``schema.WORDED``) is sent
  to each part worded in its language, as the catch-up is.
* Ballot tallies are not events: casts mark a ballot, and a ticker in each process sends
  the room one tally, counted in the database, at most every ``TALLY_INTERVAL`` seconds.
"""
from __future__ import annotations

import logging
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass

from flask import current_app, request, session
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, emit, join_room
from engineio import json as engineio_json
from socketio import packet as socketio_packet
from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

from .. import permissions
from ..accounts.models import User
from ..database import on_commit, unit_of_work
from ..errors import DomainError, InvalidInput, NotAllowed, NotFound
from ..extensions import db, socketio
from . import group_commit, limits, schema
from . import service as meetings
from .models import AgendaItem, Invitee, Meeting, SignedOut, Statement

log = logging.getLogger(__name__)

MALFORMED_PACKET = "malformed_packet"


class _PacketJSON:
    """The JSON of Socket.IO packets. A packet whose data cannot be read at all (invalid
    JSON, nesting deeper than Python's recursion allows) would be dropped by the library
    without an answer; it becomes the event ``malformed_packet`` instead, which is
    answered like any other malformed message (a handshake is refused)."""

    @staticmethod
    def dumps(*args, **kwargs):
        return engineio_json.dumps(*args, **kwargs)

    @staticmethod
    def loads(*args, **kwargs):
        try:
            return engineio_json.loads(*args, **kwargs)   # integers of at most 100 digits
        except (ValueError, RecursionError):
            return [MALFORMED_PACKET]


socketio_packet.Packet.json = _PacketJSON   # what socketio.Server(json=…) sets, too

TALLY_INTERVAL = 0.1


def room(meeting_id: int, locale: str | None = None) -> str:
    """The room of a meeting; with ``locale``, its connections that read that language."""
    return f"meeting:{meeting_id}" if locale is None else f"meeting:{meeting_id}:{locale}"


@meetings.events_committed.connect
def _broadcast(_sender, *, events) -> None:
    """After a commit: send each room the events the transaction wrote, whichever
    transport made them (a room action, a page, the background loop). An event with
    words of the system goes to each language's part of the room worded in it."""
    for meeting_id, message in events:
        if message["kind"] not in schema.WORDED:
            socketio.emit("event", message, to=room(meeting_id))
            continue
        for locale in current_app.config["LANGUAGES"]:
            with force_locale(locale):
                worded = schema.for_reader(message)
            socketio.emit("event", worded, to=room(meeting_id, locale))


# --- connecting ----------------------------------------------------------------------------

def _signed_out() -> bool:
    login_id = session.get("login_id")
    return login_id is not None and db.session.get(SignedOut, login_id) is not None


def _refused(code: str) -> ConnectionRefusedError:
    return ConnectionRefusedError(code)


# The handshake's one query, built once (a session without a sign-in asks for login_id NULL,
# which no row has).
_ENTRY = select(
    Meeting,
    select(Invitee.id).where(Invitee.meeting_id == Meeting.id, Invitee.user_id == bindparam("user_id")).exists(),
    select(SignedOut.login_id).where(SignedOut.login_id == bindparam("login_id")).exists(),
).where(Meeting.id == bindparam("meeting_id"))


def _entry(meeting_id: int, person: User) -> tuple[Meeting | None, bool, bool]:
    """In one query: the meeting, whether ``person`` is invited to it and whether the
    session's sign-in was ended; asked at the handshake and at every event. Nothing is
    kept between them: a person removed from the invitation or signed out is refused at
    the next one. A meeting that does not exist: (None, False, False)."""
    row = db.session.execute(_ENTRY, {"meeting_id": meeting_id, "user_id": person.id,
                                      "login_id": session.get("login_id")}).first()
    if row is None:
        return None, False, False
    return row[0], bool(row[1]), bool(row[2])


def _may_enter(meeting: Meeting | None, invited: bool) -> bool:
    return meeting is not None and meetings.can_enter(current_user, meeting,
                                                      invited={current_user.id} if invited else set())


@socketio.on("connect")
def connect(auth=None, *_extra):
    """The handshake is always answered: accepted, or refused with a stable code
    (``malformed``, ``unauthorized``, ``not_invited``, ``busy``, ``server_error``)."""
    try:
        meeting_id, last_seq = schema.handshake(auth)
        if not current_user.is_authenticated:
            raise _refused("unauthorized")
        meeting, invited, signed_out = _entry(meeting_id, current_user)
        if signed_out or (meeting is None and _signed_out()):
            raise _refused("unauthorized")
        if not _may_enter(meeting, invited):
            raise _refused("not_invited")
        # A client that has seen the meeting's last event asks for nothing: no query.
        missed = [] if last_seq >= meeting.last_seq else [
            schema.for_reader(e.as_message()) for e in meetings.events_after(meeting, last_seq)]
        locale = str(get_locale())       # the person's language, while they can be loaded
    except ConnectionRefusedError:
        raise
    except DomainError as error:
        raise _refused(error.code)
    except SQLAlchemyTimeout:
        log.warning("room handshake refused: no database connection free")
        raise _refused("busy")
    except Exception:
        log.exception("room handshake failed")
        raise _refused("server_error")
    finally:
        db.session.close()           # the connection goes back to the pool before any sending
    session["meeting_id"] = meeting_id
    session["room_locale"] = locale
    join_room(room(meeting_id))
    join_room(room(meeting_id, locale))
    if session.get("login_id"):
        join_room(f"login:{session['login_id']}")
    if missed:
        emit("events", missed)


def _refusal(error: DomainError) -> dict:
    return {"ok": False, "error": {"code": error.code, "message": str(error.message)}}


@socketio.on("since")
def since(data=None, *extra):
    """Events after a sequence number: a client that saw a gap asks for what it missed."""
    try:
        with _cheap_locale():
            limits.check_request(_person_key(), request.sid)
            seq = schema.since(data if not extra else None)
        meeting = _meeting()
        if meeting is None:
            raise NotAllowed(_("You may no longer act in this meeting."))
        with _cheap_locale():
            events = [schema.for_reader(e.as_message()) for e in meetings.events_after(meeting, seq)]
    except DomainError as error:
        return _refusal(error)
    except SQLAlchemyTimeout:
        return _busy()
    except Exception:
        log.exception("room catch-up failed")
        return _failed()
    finally:
        db.session.close()
    return {"ok": True, "events": events}


def _busy() -> dict:
    log.warning("room event refused: no database connection free")
    return {"ok": False, "error": {"code": "busy", "message": _without_database(
        lambda: _("The server is busy: try again in a moment."))}}


def _failed() -> dict:
    return {"ok": False, "error": {"code": "server_error", "message": _without_database(
        lambda: _("Something went wrong on the server: try again."))}}


def _without_database(translate) -> str:
    """A message in the person's language, which takes loading them; without a database
    connection, in the language of the browser's session or the default."""
    try:
        return translate()
    except SQLAlchemyError:
        with force_locale(session.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]):
            return translate()


def _cheap_locale():
    """The language the connection was accepted in, for refusals made before the person
    is loaded (which takes a query)."""
    locale = session.get("room_locale")
    return force_locale(locale) if locale else nullcontext()


def _person_key():
    """Who sends the event, without a database query: the session's user id."""
    return session.get("_user_id")


def _meeting() -> Meeting | None:
    if not current_user.is_authenticated:
        return None
    meeting, invited, signed_out = _entry(session.get("meeting_id") or 0, current_user)
    return meeting if not signed_out and _may_enter(meeting, invited) else None


# --- acting --------------------------------------------------------------------------------

def _person(data, key="user") -> User:
    person = db.session.get(User, data.get(key) or 0)
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
    item = db.session.get(AgendaItem, data["item"])
    if item is None or item.meeting_id != meeting.id:
        raise NotFound(_("This item is not on the meeting's agenda."))
    return item


def _ballot(meeting: Meeting, data):
    from ..voting.models import Ballot

    ballot = db.session.get(Ballot, data["ballot"])
    if ballot is None or ballot.meeting_id != meeting.id:
        raise NotFound(_("This ballot is not of this meeting."))
    return ballot


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
                                  options=list(options), max_choices=data.get("max_choices") or 1,
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
    "give_floor": lambda m, a, d: meetings.give_floor(m, _person(d), actor=a, seconds=d.get("seconds")),
    "take_floor": lambda m, a, d: meetings.take_floor(m, actor=a),
    "statement": lambda m, a, d: meetings.post_statement(m, actor=a, body=str(d.get("body") or "")),
    "hide_statement": lambda m, a, d: meetings.hide_statement(
        m, db.session.get(Statement, d["id"]) or _missing_statement(), actor=a,
        reason=str(d.get("reason") or "")),
    "ballot_open": _open_ballot,
    "ballot_close": lambda m, a, d: meetings.close_ballot(m, _ballot(m, d), actor=a),
    # "cast" is written with the casts that come with it: ``_group_cast``.
}


def _missing_statement():
    raise NotFound(_("This statement does not exist."))


@socketio.on("act")
def act(data=None, *extra):
    """One room action; the answer comes after the commit: ``{ok: true, seq, …}`` or
    ``{ok: false, error: {code, message}}``, whatever was sent."""
    try:
        with _cheap_locale():           # a flood is refused before any query, its own included
            name, data = schema.action(data if not extra else None)
            limits.check_action(request.sid, _person_key(), name)
        if name == "cast":
            return _group_cast(data)
        meeting = _meeting()
        if meeting is None:
            raise NotAllowed(_("You may no longer act in this meeting."))
        with unit_of_work():
            value = ACTIONS[name](meeting, current_user._get_current_object(), data)
            events = meetings.events_written()
    except DomainError as error:
        return _refusal(error)
    except SQLAlchemyTimeout:
        return _busy()
    except Exception:
        log.exception("room action failed")
        return _failed()
    finally:
        if db.session.registry.has():      # a cast made no query, and has no session to close
            db.session.close()
    answer = {"ok": True, "seq": events[-1][1]["seq"] if events else None}
    if isinstance(value, dict):
        answer.update(value)
    return answer


@dataclass
class _Cast:
    """A cast as its batch needs it: who sends it (the session's user and sign-in), in which
    meeting, and what; read from the session without a query."""

    user_id: str | None
    login_id: str | None
    meeting_id: int | None
    ballot_id: int
    choice: object
    client_key: str | None
    locale: str | None


def _group_cast(data) -> dict:
    """A cast, written with the casts that arrive with it (``group_commit``): answered once
    its batch has committed. Who casts is checked in the batch, for all its casts at once,
    by the rules every other action is checked by at each event (``_meeting``): no query
    is made here, so no connection is held while the cast waits."""
    locale = session.get("room_locale") or str(get_locale())
    cast = _Cast(user_id=session.get("_user_id"), login_id=session.get("login_id"),
                 meeting_id=session.get("meeting_id"), ballot_id=data["ballot"], choice=data["choice"],
                 client_key=data.get("client_key") or None, locale=locale)
    work = group_commit.Work(lambda: _casts_together([cast])[0], locale, together=(cast.meeting_id, cast.ballot_id),
                             request=cast)
    return _writer(current_app._get_current_object()).submit(work)


def _write_together(works: list[group_commit.Work]) -> list[dict]:
    return _casts_together([work.request for work in works])


def _casts_together(casts: list[_Cast]) -> list[dict]:
    """The casts of one batch in one ballot, in the running transaction: the people who
    send them are checked as ``_meeting`` checks one (a live sign-in, not signed out,
    let into the meeting), with one query for all; the votes are cast with
    ``voting.cast_many``. Each cast gets its answer, or its refusal, in its language."""
    from ..accounts import service as accounts
    from ..voting import service as voting
    from ..voting.models import Ballot

    meeting_id, ballot_id = casts[0].meeting_id, casts[0].ballot_id
    assert all((c.meeting_id, c.ballot_id) == (meeting_id, ballot_id) for c in casts)
    before = len(meetings.events_written())
    sign_ins = accounts.live_sign_ins_of([(c.user_id, c.login_id) for c in casts], config=current_app.config)
    accounts.seen_all(sign_ins.values())
    ended = set(db.session.scalars(select(SignedOut.login_id).where(SignedOut.login_id.in_(sign_ins)))) \
        if sign_ins else set()
    meeting = db.session.get(Meeting, meeting_id or 0)
    invited = permissions.invited_among({s.user_id for s in sign_ins.values()}, meeting) if meeting else set()
    ballot = db.session.get(Ballot, ballot_id)
    answers: list = [None] * len(casts)
    requests = []
    for n, cast in enumerate(casts):
        sign_in = sign_ins.get(cast.login_id or "")
        if (sign_in is None or str(sign_in.user_id) != cast.user_id or cast.login_id in ended or meeting is None
                or not meetings.can_enter(sign_in.user, meeting, invited=invited)):
            with force_locale(cast.locale) if cast.locale else nullcontext():
                answers[n] = _refusal(NotAllowed(_("You may no longer act in this meeting.")))
        elif ballot is None or ballot.meeting_id != meeting.id:
            with force_locale(cast.locale) if cast.locale else nullcontext():
                answers[n] = _refusal(NotFound(_("This ballot is not of this meeting.")))
        else:
            requests.append((n, voting.CastRequest(sign_in.user, cast.choice, cast.client_key, locale=cast.locale)))
    if requests:
        results = voting.cast_many(ballot, [request for _n, request in requests])
        mine = meetings.events_written()[before:]
        seq = mine[-1][1]["seq"] if mine else None
        for (n, _request), result in zip(requests, results):
            answers[n] = _refusal(result) if isinstance(result, DomainError) else {"ok": True, "seq": seq,
                                                                                   "receipt": result}
        if any(answer["ok"] for answer in answers):
            # After the commit: a tick that counted before it would miss these votes for good.
            on_commit(lambda: _mark_dirty(ballot_id, meeting_id), key=f"tally:{ballot_id}")
    return answers


def _writer(app) -> group_commit.GroupCommit:
    writer = app.extensions.get("consult_room_casts")
    if writer is None:
        writer = app.extensions.setdefault("consult_room_casts", group_commit.GroupCommit(
            window=app.config["ROOM_CAST_WINDOW"], limit=app.config["ROOM_CAST_BATCH"],
            longest=app.config["ROOM_CAST_GATHER"],
            refuse=_refusal, busy=_busy, failed=_failed, together=_write_together))
    return writer


@socketio.on(MALFORMED_PACKET)
def malformed_packet(*_args):
    return _refusal(schema.Malformed(_("The room could not read this message.")))


@socketio.on("*")
def unknown_event(_event, *_args):
    """Any other event is answered too, if its sender waits for an answer."""
    return _refusal(schema.Malformed(_("The room could not read this message.")))


@socketio.on("disconnect")
def disconnect(*_args):
    limits.forget(request.sid)


# --- tallies, coalesced --------------------------------------------------------------------

IDLE_TICKS = 25   # a ticker with nothing to send for this many ticks stops; the next cast restarts it
# While casts are being written in this process (a burst), the room is sent the count at
# most this often: each tally goes to every connection, and those sends would slow the
# casts down and so the final count. The tally after the last batch goes at the next tick.
TALLY_BUSY_INTERVAL = 0.5


class _Tallies:
    """Per app: ballots cast in since the last tick, whether a ticker runs, and when it
    last sent."""

    def __init__(self):
        self.dirty: dict[int, int] = {}
        self.lock = threading.Lock()
        self.running = False
        self.sent = 0.0


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
        message["marks"] = {key: counted.of(key).headcount for key in ballot.choice_keys()}
    assert set(message) <= set(schema.TALLY), message
    return message


def _tick(app) -> None:
    """Send the tallies of the ballots cast in, every ``TALLY_INTERVAL``, until idle. A
    failure while counting or sending is logged and the ticker goes on: the next cast is
    counted again. Whatever ends the ticker marks it stopped, so that the next cast starts
    another."""
    tallies, idle = _tallies(app), 0
    try:
        while True:
            socketio.sleep(TALLY_INTERVAL)
            with tallies.lock:
                held = bool(tallies.dirty) and _casting(app) and time.monotonic() - tallies.sent < TALLY_BUSY_INTERVAL
                due = {} if held else dict(tallies.dirty)
                if not held:
                    tallies.dirty.clear()
                idle = 0 if due or held else idle + 1
                if idle >= IDLE_TICKS:
                    tallies.running = False
                    return
            if due:
                tallies.sent = time.monotonic()
                try:
                    _send_tallies(app, due)
                except Exception:
                    log.exception("live tallies of ballots %s failed", sorted(due))
    except BaseException:
        with tallies.lock:
            tallies.running = False
        raise


def _casting(app) -> bool:
    """Whether casts are being gathered or written in this process."""
    writer = app.extensions.get("consult_room_casts")
    return writer is not None and writer.writing


def _send_tallies(app, due: dict[int, int]) -> None:
    from ..voting.models import Ballot

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
