"""QR codes on invite slips, and signing in at a meeting in the hall by scanning a code
that changes every 30 seconds."""
from datetime import datetime, timedelta

import pytest
import segno
from sqlalchemy import select

from consult import clock
from consult.accounts import service as accounts
from consult.accounts.models import Role
from consult.database import unit_of_work
from consult.extensions import db
from consult.meetings.models import Attendance, Invitee, Meeting, MeetingForm, MeetingKind, MeetingState
from consult.turnout import service as turnout
from consult.turnout.qr import qr_svg


@pytest.fixture
def hall(tree, make_household, make_user):
    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    invited = make_user("王秀英", phone="13900000001", household=make_household(tree.e1, "101"))
    stranger = make_user("张建国", phone="13900000002", household=make_household(tree.e1, "102"))
    meeting = Meeting(place=tree.fc, title="加装电梯议事会", kind=MeetingKind.circle, form=MeetingForm.in_person,
                      starts_at=datetime(2026, 12, 2, 2, 0), moderator_id=moderator.id, state=MeetingState.live)
    db.session.add(meeting)
    db.session.flush()
    db.session.add(Invitee(meeting_id=meeting.id, user_id=invited.id))
    db.session.commit()
    clock.set_now(datetime(2026, 12, 2, 2, 0, 5))
    yield type("Hall", (), dict(moderator=moderator, invited=invited, stranger=stranger, meeting=meeting))
    clock.set_now(None)


def test_the_qr_of_an_invite_slip_carries_the_registration_link_with_the_code(client, auth, tree, admin,
                                                                              make_household):
    household = make_household(tree.e1, "301")
    with unit_of_work():
        code = accounts.issue_invite(household, actor=admin).code
    auth.login("admin")
    page = client.get(f"/places/{tree.e1.id}/invites").get_data(as_text=True)
    link = f"http://localhost/register?code={code}"
    expected = qr_svg(link).replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;")
    assert 'class="slip-qr"' in page and expected in page
    # The same link opens the registration form with the code filled in.
    auth.logout()
    assert f'value="{code}"' in client.get(f"/register?code={code}").get_data(as_text=True)
    assert segno.make(link, error="m").designator   # a real QR code of the link


def scan(client, meeting, token):
    return client.post_form(f"/meetings/{meeting.id}/scan", {"t": token})


def test_an_invitee_signs_in_by_scanning_the_current_code(client, auth, hall):
    auth.login("moderator")
    answer = client.get(f"/meetings/{hall.meeting.id}/sign-in-code")
    assert answer.status_code == 200 and answer.json["qr"].startswith("data:image/svg+xml")
    token = turnout.sign_in_token(hall.meeting, actor=hall.moderator)
    auth.logout()
    auth.login("13900000001")
    page = client.get(f"/meetings/{hall.meeting.id}/scan?t={token}").get_data(as_text=True)
    assert "I am here" in page or "我在现场" in page or 'name="t"' in page
    assert scan(client, hall.meeting, token).status_code == 302
    attendance = db.session.scalar(select(Attendance).where(Attendance.user_id == hall.invited.id))
    assert attendance is not None and attendance.in_person is True


def test_a_photo_of_the_code_taken_home_has_expired(client, auth, hall):
    token = turnout.sign_in_token(hall.meeting, actor=hall.moderator)
    clock.set_now(clock.utcnow() + timedelta(seconds=31))
    assert turnout.token_is_current(hall.meeting, token)          # the code before the current one still counts
    clock.set_now(clock.utcnow() + timedelta(seconds=30))
    assert not turnout.token_is_current(hall.meeting, token)
    auth.login("13900000001")
    assert scan(client, hall.meeting, token).status_code == 422
    assert db.session.scalar(select(Attendance).where(Attendance.user_id == hall.invited.id)) is None


def test_scanning_needs_an_invitation_a_sign_in_and_a_hall(client, auth, hall):
    token = turnout.sign_in_token(hall.meeting, actor=hall.moderator)
    assert client.get(f"/meetings/{hall.meeting.id}/scan?t={token}").status_code == 302   # to the login page
    auth.login("13900000002")
    assert scan(client, hall.meeting, token).status_code == 403
    assert client.get(f"/meetings/{hall.meeting.id}/sign-in-code").status_code == 403   # only who runs it
    auth.logout()
    hall.meeting.form = MeetingForm.online
    db.session.commit()
    auth.login("13900000001")
    assert scan(client, hall.meeting, token).status_code == 422
    assert db.session.scalar(select(Attendance.id)) is None


def test_a_forged_code_signs_nobody_in(client, auth, hall):
    auth.login("13900000001")
    assert scan(client, hall.meeting, "0" * 24).status_code == 422
    other = Meeting(place=hall.meeting.place, title="另一个会", kind=MeetingKind.circle, form=MeetingForm.in_person,
                    starts_at=hall.meeting.starts_at, moderator_id=hall.moderator.id, state=MeetingState.live)
    db.session.add(other)
    db.session.commit()
    assert not turnout.token_is_current(hall.meeting, turnout.sign_in_token(other, actor=hall.moderator))


def test_the_room_shows_the_rotating_code_to_the_moderator_only(client, auth, hall):
    auth.login("moderator")
    assert 'id="sign-in-qr"' in client.get(f"/meetings/{hall.meeting.id}/room").get_data(as_text=True)
    auth.logout()
    auth.login("13900000001")
    assert 'id="sign-in-qr"' not in client.get(f"/meetings/{hall.meeting.id}/room").get_data(as_text=True)
