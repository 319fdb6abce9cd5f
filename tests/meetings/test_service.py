"""Every room action, and the illegal ones, against the service; the event log."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.clock import utcnow
from consult.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from consult.extensions import db
from consult.meetings import service as meetings
from consult.meetings.models import (
    Attendance,
    Invitee,
    MeetingEvent,
    MeetingForm,
    MeetingKind,
    MeetingState,
    Quorum,
    Response,
)
from consult.notifications.models import Notification
from tests.meetings.conftest import run


def kinds(meeting):
    return [e.kind for e in db.session.scalars(select(MeetingEvent).where(MeetingEvent.meeting_id == meeting.id)
                                               .order_by(MeetingEvent.seq))]


def test_schedule_invites_residents_and_people_and_tells_them(meeting, cast):
    invited = set(db.session.scalars(select(Invitee.user_id).where(Invitee.meeting_id == meeting.id)))
    assert invited == {cast.wang.id, cast.zhang.id, cast.zhao.id, cast.expert.id}   # not building 2
    assert [i.title for i in meeting.agenda] == ["加装电梯方案", "费用分摊"]
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "meeting.invited")))
    assert told == invited


def test_schedule_refuses_bad_input_and_writes_nothing(tree, cast):
    with pytest.raises(InvalidInput):
        run(meetings.schedule, tree.b1, actor=cast.moderator, title="会", kind=MeetingKind.circle,
            form=MeetingForm.in_person, starts_at=utcnow() + timedelta(days=1), location="",
            people=[cast.wang], free_items=["议题"])
    with pytest.raises(NotAllowed):
        run(meetings.schedule, tree.b1, actor=cast.wang, title="会", kind=MeetingKind.circle,
            form=MeetingForm.online, starts_at=utcnow(), people=[cast.zhang], free_items=["议题"])
    assert db.session.scalar(select(func.count()).select_from(Invitee)) == 0


def test_respond_reschedule_and_cancel(meeting, cast):
    run(meetings.respond, meeting, actor=cast.wang, accept=False)
    assert db.session.scalar(select(Invitee.response).where(Invitee.user_id == cast.wang.id)) is Response.declined
    with pytest.raises(NotAllowed):
        run(meetings.respond, meeting, actor=cast.outsider, accept=True)
    run(meetings.reschedule, meeting, actor=cast.moderator, starts_at=utcnow() + timedelta(days=2), location="活动室")
    run(meetings.cancel, meeting, actor=cast.moderator, reason="台风天气")
    assert meeting.state is MeetingState.cancelled
    kinds_told = set(db.session.scalars(select(Notification.kind).where(Notification.user_id == cast.zhang.id)))
    assert kinds_told == {"meeting.invited", "meeting.changed", "meeting.cancelled"}
    with pytest.raises(InvalidTransition):
        run(meetings.sign_in, meeting, actor=cast.wang)


def test_a_whole_meeting_writes_a_numbered_log(meeting, cast):
    run(meetings.sign_in, meeting, actor=cast.wang)
    run(meetings.sign_in, meeting, actor=cast.wang)          # entering again changes nothing
    run(meetings.mark_present, meeting, cast.zhao, actor=cast.moderator)
    run(meetings.change_state, meeting, "start", actor=cast.moderator)
    assert meeting.current_item_id == meeting.agenda[0].id
    run(meetings.set_speakers_open, meeting, True, actor=cast.moderator)
    run(meetings.raise_hand, meeting, actor=cast.wang)
    run(meetings.give_floor, meeting, cast.wang, actor=cast.moderator, seconds=120)
    assert meeting.floor_user_id == cast.wang.id and meeting.floor_until > utcnow()
    statement = run(meetings.post_statement, meeting, actor=cast.wang, body="我家在一楼，担心采光。")
    run(meetings.hide_statement, meeting, statement, actor=cast.moderator, reason="重复发言")
    run(meetings.take_floor, meeting, actor=cast.moderator)
    run(meetings.record_decision, meeting, meeting.agenda[0], actor=cast.moderator, text="同意方案一，报街道审批")
    run(meetings.set_item, meeting, meeting.agenda[1], actor=cast.moderator)
    run(meetings.change_state, meeting, "pause", actor=cast.moderator)
    run(meetings.change_state, meeting, "resume", actor=cast.moderator)
    run(meetings.change_state, meeting, "end", actor=cast.moderator)
    assert kinds(meeting) == ["signed_in", "signed_in", "start", "speakers", "hand_raised", "floor", "statement",
                              "statement_hidden", "floor", "decision", "item", "pause", "resume", "end"]
    seqs = db.session.scalars(select(MeetingEvent.seq).where(MeetingEvent.meeting_id == meeting.id)
                              .order_by(MeetingEvent.seq)).all()
    assert seqs == list(range(1, 15)) and meeting.last_seq == 14
    assert meetings.quorum_figures(meeting) == (2, 4)
    assert Quorum.half.met(2, 4) is False and Quorum.half.met(3, 4) is True


def test_illegal_actions_are_refused_and_leave_no_event(meeting, cast):
    with pytest.raises(NotAllowed):                       # a resident runs nothing
        run(meetings.change_state, meeting, "start", actor=cast.wang)
    with pytest.raises(NotAllowed):                       # not invited
        run(meetings.sign_in, meeting, actor=cast.outsider)
    run(meetings.sign_in, meeting, actor=cast.wang)
    with pytest.raises(InvalidTransition):                # not in session yet
        run(meetings.post_statement, meeting, actor=cast.wang, body="你好")
    run(meetings.change_state, meeting, "start", actor=cast.moderator)
    with pytest.raises(InvalidTransition):                # the list is closed
        run(meetings.raise_hand, meeting, actor=cast.wang)
    run(meetings.set_speakers_open, meeting, True, actor=cast.moderator)
    with pytest.raises(NotAllowed):                       # a resident gives the floor
        run(meetings.give_floor, meeting, cast.wang, actor=cast.wang)
    with pytest.raises(InvalidTransition):                # invited but not signed in
        run(meetings.raise_hand, meeting, actor=cast.zhang)
    run(meetings.raise_hand, meeting, actor=cast.wang)
    with pytest.raises(Conflict):
        run(meetings.raise_hand, meeting, actor=cast.wang)
    with pytest.raises(NotAllowed):                       # lowering someone else's hand
        run(meetings.lower_hand, meeting, cast.wang, actor=cast.zhao)
    with pytest.raises(InvalidInput):
        run(meetings.give_floor, meeting, cast.wang, actor=cast.moderator, seconds=5)
    with pytest.raises(InvalidInput):
        run(meetings.post_statement, meeting, actor=cast.wang, body="  ")
    run(meetings.change_state, meeting, "end", actor=cast.moderator)
    with pytest.raises(InvalidTransition):                # after the end
        run(meetings.post_statement, meeting, actor=cast.wang, body="还有一句")
    with pytest.raises(InvalidTransition):
        run(meetings.change_state, meeting, "resume", actor=cast.moderator)
    assert kinds(meeting) == ["signed_in", "start", "speakers", "hand_raised", "end"]


def test_ballot_in_the_room_counts_those_signed_in(meeting, cast):
    from consult.voting import service as voting

    run(meetings.sign_in, meeting, actor=cast.wang)
    run(meetings.sign_in, meeting, actor=cast.expert)
    run(meetings.change_state, meeting, "start", actor=cast.moderator)
    ballot = run(meetings.open_ballot, meeting, actor=cast.moderator, question="是否同意方案一？")
    assert ballot.meeting_id == meeting.id and voting.electorate_size(ballot).headcount == 2
    run(voting.cast, ballot, actor=cast.expert, choice="yes")
    with pytest.raises(NotAllowed):
        run(voting.cast, ballot, actor=cast.zhang, choice="yes")   # invited, but not signed in at the opening
    run(meetings.close_ballot, meeting, ballot, actor=cast.moderator)
    assert ballot.result["passed"] is True
    assert kinds(meeting)[-2:] == ["ballot_opened", "ballot_closed"]


def test_events_after_a_sequence(meeting, cast):
    for person in (cast.wang, cast.zhang, cast.zhao):
        run(meetings.sign_in, meeting, actor=person)
    assert [e.seq for e in meetings.events_after(meeting, 1)] == [2, 3]
    assert meetings.events_after(meeting, 3) == []
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 3
