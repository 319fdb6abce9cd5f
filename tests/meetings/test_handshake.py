"""The room's handshake: who is let in and with which refusal, read afresh at every
handshake (nothing that was true at an earlier one lets anyone in), and the catch-up
sent only to a client that is behind."""
import pytest
from flask_socketio import ConnectionRefusedError
from sqlalchemy import delete, event, select

from consult.accounts.models import SignIn
from consult.extensions import db
from consult.meetings import live
from consult.meetings.models import Invitee, Meeting, SignedOut
from tests.meetings.test_live import Phone, act, connect, events


@pytest.fixture
def refusals(monkeypatch):
    """The codes the handshakes were refused with, in order."""
    codes: list[str] = []

    def refused(code):
        codes.append(code)
        return ConnectionRefusedError(code)

    monkeypatch.setattr(live, "_refused", refused)
    return codes


def _token(user) -> str:
    return db.session.scalar(select(SignIn.token).where(SignIn.user_id == user.id, SignIn.ended_at.is_(None))
                             .order_by(SignIn.id.desc()))


def test_a_person_removed_from_the_invitation_is_refused_at_the_next_handshake(app, meeting, cast, refusals):
    http, resident = connect(app, "13900000001", meeting)
    assert resident.is_connected()
    resident.disconnect()
    db.session.execute(delete(Invitee).where(Invitee.meeting_id == meeting.id, Invitee.user_id == cast.wang.id))
    db.session.commit()
    _, again = connect(app, None, meeting, http=http)
    assert not again.is_connected()
    assert refusals == ["not_invited"]


def test_a_person_invited_later_gets_in(app, meeting, cast, refusals):
    http, outsider = connect(app, "13900000004", meeting)
    assert not outsider.is_connected()
    db.session.add(Invitee(meeting_id=meeting.id, user_id=cast.outsider.id))
    db.session.commit()
    _, again = connect(app, None, meeting, http=http)
    assert again.is_connected()
    assert refusals == ["not_invited"]


def test_a_recorder_who_is_not_invited_gets_in(app, meeting, cast, refusals):
    meeting.recorder_id = cast.outsider.id
    db.session.commit()
    _, recorder = connect(app, "13900000004", meeting)
    assert recorder.is_connected() and refusals == []


def test_a_signed_out_session_is_refused_as_unauthorized(app, meeting, cast, refusals):
    http, resident = connect(app, "13900000001", meeting)
    assert resident.is_connected()
    cookie = http.get_cookie("session").value
    http.post_form("/logout")
    http.set_cookie("session", cookie)           # the cookie as it was before signing out
    _, again = connect(app, None, meeting, http=http)
    assert not again.is_connected()
    assert refusals == ["unauthorized"]


def test_a_sign_in_marked_signed_out_for_the_room_is_refused(app, meeting, cast, refusals):
    http, resident = connect(app, "13900000001", meeting)
    assert resident.is_connected()
    db.session.add(SignedOut(login_id=_token(cast.wang)))
    db.session.commit()
    _, again = connect(app, None, meeting, http=http)
    assert not again.is_connected()
    assert refusals == ["unauthorized"]


def test_a_meeting_that_does_not_exist_is_refused(app, meeting, cast, refusals):
    http = connect(app, "13900000001", meeting)[0]
    missing = type("Missing", (), {"id": db.session.scalar(select(db.func.max(Meeting.id))) + 1})
    _, phone = connect(app, None, missing, http=http)
    assert not phone.is_connected()
    assert refusals == ["not_invited"]


def test_a_stranger_is_refused_as_unauthorized(app, meeting, refusals):
    from tests.conftest import FormClient

    phone = Phone(app, FormClient(app, app.response_class, use_cookies=True), {"meeting": meeting.id})
    assert not phone.is_connected()
    assert refusals == ["unauthorized"]


def _statements(app):
    """The SQL statements run while the block runs."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    class Counting:
        def __enter__(self):
            event.listen(db.engine, "before_cursor_execute", note)
            return seen

        def __exit__(self, *_exc):
            event.remove(db.engine, "before_cursor_execute", note)

    return Counting()


def test_a_client_that_has_seen_everything_is_sent_no_catch_up_and_asks_no_events(app, meeting, cast):
    _, moderator = connect(app, "moderator", meeting)
    http, resident = connect(app, "13900000001", meeting)
    act(moderator, "start")
    act(moderator, "speakers", open=True)
    resident.disconnect()
    same = type("Meeting", (), {"id": meeting.id})      # asks the test's session nothing
    with _statements(app) as statements:
        _, again = connect(app, None, same, last_seq=2, http=http)
    assert again.is_connected()
    assert events(again, "events") == []
    assert not [s for s in statements if "meeting_events" in s]
    # The person's sign-in; then the meeting, the invitation and the sign-out in one query.
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 2, "\n\n".join(statements)
    assert "FROM sign_ins" in queries[0] and "meeting_invitees" in queries[1] and "signed_out_logins" in queries[1]


def test_a_client_that_is_behind_gets_what_it_missed(app, meeting, cast):
    http, moderator = connect(app, "moderator", meeting)
    act(moderator, "start")
    act(moderator, "speakers", open=True)
    act(moderator, "pause")
    moderator.disconnect()
    _, again = connect(app, None, meeting, last_seq=1, http=http)
    assert [(e["seq"], e["kind"]) for e in events(again, "events")] == [(2, "speakers"), (3, "pause")]
    _, fresh = connect(app, None, meeting, last_seq=0, http=http)
    assert [e["seq"] for e in events(fresh, "events")] == [1, 2, 3]


# --- the same check at every event ------------------------------------------------------------

def test_a_person_removed_from_the_invitation_may_no_longer_act_or_catch_up(app, meeting, cast):
    _, resident = connect(app, "13900000001", meeting)
    assert act(resident, "sign_in")["ok"]
    db.session.execute(delete(Invitee).where(Invitee.meeting_id == meeting.id, Invitee.user_id == cast.wang.id))
    db.session.commit()
    answer = act(resident, "raise_hand")
    assert answer["ok"] is False and answer["error"]["code"] == "not_allowed"
    answer = resident.emit("since", {"seq": 0}, callback=True)
    assert answer["ok"] is False and answer["error"]["code"] == "not_allowed"


def test_a_sign_in_marked_signed_out_may_no_longer_act(app, meeting, cast):
    _, resident = connect(app, "13900000001", meeting)
    assert act(resident, "sign_in")["ok"]
    db.session.add(SignedOut(login_id=_token(cast.wang)))
    db.session.commit()
    answer = act(resident, "raise_hand")
    assert answer["ok"] is False and answer["error"]["code"] == "not_allowed"


def test_a_moderator_who_is_not_invited_still_acts(app, meeting, cast):
    _, moderator = connect(app, "moderator", meeting)
    assert act(moderator, "start")["ok"]
    assert act(moderator, "pause")["ok"]
