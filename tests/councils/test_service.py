from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from consult import permissions
from consult.clock import travel_to
from consult.councils import service as councils
from consult.database import unit_of_work
from consult.errors import InvalidInput, NotAllowed
from consult.extensions import db
from consult.meetings import service as meetings
from consult.meetings.models import Invitee, Meeting, MeetingForm, MeetingKind
from consult.proposals import service as proposals
from consult.proposals.models import Category, ProposalState

# 2026-03-01 09:00 in Shanghai
MARCH_1 = datetime(2026, 3, 1, 1, 0)


def do(at, operation, *args, **kwargs):
    with travel_to(at), unit_of_work():
        return operation(*args, **kwargs)


def monthly(area, tree, at=MARCH_1, **kwargs):
    kwargs.setdefault("title", "富成花园月度议事会")
    kwargs.setdefault("kind", MeetingKind.circle)
    kwargs.setdefault("cadence_months", 1)
    kwargs.setdefault("local_time", "19:30")
    return do(at, councils.create_series, tree.fc, actor=area.moderator, day_of_month=15,
              form=MeetingForm.in_person, location="社区议事厅", **kwargs)


def test_periods_are_calendar_months_and_quarters_in_the_sites_zone(app):
    # 2026-03-31 20:00 UTC is already 1 April in Shanghai.
    assert councils.period_of(datetime(2026, 3, 31, 20, 0), 1) == 2026 * 12 + 3
    assert councils.period_of(datetime(2026, 3, 31, 20, 0), 3) == (2026 * 12 + 3) // 3
    assert councils.period_label((2026 * 12 + 3) // 3, 3) == "2026年第2季度"
    assert councils.period_start((2026 * 12 + 3) // 3, 3) == datetime(2026, 3, 31, 16, 0)


def test_each_occurrence_is_scheduled_ahead_with_the_accepted_matters_on_its_agenda(app, area, tree):
    category = db.session.scalars(select(Category)).first()
    matter = do(MARCH_1, proposals.raise_proposal, tree.b1, actor=area.resident, title="楼道堆物", body="清理",
                category=category)
    matter.state = ProposalState.accepted
    db.session.commit()
    series = monthly(area, tree)
    with travel_to(MARCH_1):             # the 15th at 19:30 is more than 14 days away
        assert not councils.scheduling_is_due()
    assert do(MARCH_1, councils.schedule_due_occurrences) == 0
    with travel_to(MARCH_1 + timedelta(days=1)):
        assert councils.scheduling_is_due()
    assert do(MARCH_1 + timedelta(days=1), councils.schedule_due_occurrences) == 1
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.series_id == series.id and meeting.starts_at == datetime(2026, 3, 15, 11, 30)
    assert [item.proposal_id for item in meeting.agenda] == [matter.id]
    assert meeting.title == "富成花园月度议事会 2026-03-15"
    assert do(MARCH_1 + timedelta(days=2), councils.schedule_due_occurrences) == 0
    with travel_to(datetime(2026, 4, 2, 1, 0)):
        assert councils.next_occurrence(series, datetime(2026, 4, 2, 1, 0)) == datetime(2026, 4, 15, 11, 30)


def test_without_accepted_matters_the_agenda_opens_the_floor(area, tree):
    monthly(area, tree)
    do(MARCH_1 + timedelta(days=2), councils.schedule_due_occurrences)
    meeting = db.session.scalars(select(Meeting)).one()
    assert len(meeting.agenda) == 1 and meeting.agenda[0].proposal_id is None


def test_a_three_party_meeting_is_held_at_least_every_quarter(area, tree):
    with pytest.raises(InvalidInput):
        monthly(area, tree, kind=MeetingKind.three_party, cadence_months=6, organisations=[area.company])
    series = monthly(area, tree, title="三方联席会", kind=MeetingKind.three_party, cadence_months=3,
                     organisations=[area.company, area.committee], invite_residents=False)
    do(MARCH_1 + timedelta(days=2), councils.schedule_due_occurrences)
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.kind is MeetingKind.three_party and meeting.series_id == series.id
    invited = set(db.session.scalars(select(Invitee.user_id).where(Invitee.meeting_id == meeting.id)))
    assert invited == {area.manager.id}


def test_only_those_who_convene_set_up_a_standing_council(area, tree, make_user):
    with pytest.raises(NotAllowed):
        do(MARCH_1, councils.create_series, tree.fc, actor=area.resident, title="x", kind=MeetingKind.circle,
           cadence_months=1, day_of_month=15, local_time="19:30", form=MeetingForm.online)
    with pytest.raises(InvalidInput):
        monthly(area, tree, local_time="25:00")


def test_a_missed_period_is_told_and_the_figures_count_held_against_cadence(area, tree):
    series = monthly(area, tree, title="三方联席会", kind=MeetingKind.three_party, cadence_months=3,
                     organisations=[area.company])
    do(MARCH_1 + timedelta(days=2), councils.schedule_due_occurrences)            # Q1: 15 March
    q1 = db.session.scalars(select(Meeting)).one()
    for step in ("start", "end"):
        do(q1.starts_at, meetings.change_state, q1, step, actor=area.moderator)
    do(datetime(2026, 6, 5, 1, 0), councils.schedule_due_occurrences)            # Q2: 15 June, never held
    july = datetime(2026, 7, 10, 1, 0)
    with travel_to(july):
        cadence = councils.cadence_of(series)
        assert (cadence.expected, cadence.held, cadence.missed) == (2, 1, ["2026年第2季度"])
        assert [c.series for c in councils.missed_cadences(tree.fc)] == [series]
        figures = councils.cadence_figures(tree.fc, datetime(2026, 1, 1), july)
        assert [(c.held, c.expected) for c in figures] == [(1, 2)]
        assert councils.cadence_figures(tree.jm, datetime(2026, 1, 1), july) == []
    with travel_to(datetime(2026, 4, 10, 1, 0)):                                   # Q2 still under way
        assert councils.missed_cadences(tree.fc) == []
        assert councils.cadence_of(series).expected == 1


def test_a_grid_council_invites_the_residents_of_its_grid(area, tree):
    series = monthly(area, tree, title="第二网格议事会", grid=area.grid)
    do(MARCH_1 + timedelta(days=2), councils.schedule_due_occurrences)
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.grid_id == area.grid.id and meeting.place_id == tree.fc.id and series.grid_id == area.grid.id
    invited = set(db.session.scalars(select(Invitee.user_id).where(Invitee.meeting_id == meeting.id)))
    assert area.b2_resident.id in invited and area.resident.id not in invited


def test_a_series_whose_convener_lost_the_role_waits_for_a_moderator(area, tree):
    monthly(area, tree)
    db.session.delete(area.moderator.grants[0])
    db.session.commit()
    assert do(MARCH_1 + timedelta(days=2), councils.schedule_due_occurrences) == 0
    assert db.session.scalar(select(Meeting.id)) is None
    assert not permissions.can_schedule_meeting(area.moderator, tree.fc)


def test_a_series_set_up_late_in_its_period_starts_in_the_next_one(area, tree):
    late = datetime(2026, 3, 20, 1, 0)
    series = monthly(area, tree, at=late, title="三方联席会", kind=MeetingKind.three_party, cadence_months=3,
                     organisations=[area.company])
    assert councils.next_occurrence(series, late) == datetime(2026, 4, 15, 11, 30)
    with travel_to(datetime(2026, 4, 2, 1, 0)):
        assert councils.cadence_of(series).missed == []
    mid = datetime(2026, 2, 20, 1, 0)   # mid-quarter: the quarter's meeting is on 15 March
    other = monthly(area, tree, at=mid, title="另一个联席会", kind=MeetingKind.three_party, cadence_months=3,
                    organisations=[area.company])
    assert councils.next_occurrence(other, mid) == datetime(2026, 3, 15, 11, 30)


def test_a_first_meeting_within_reach_is_scheduled_when_the_council_is_set_up(area, tree):
    series = monthly(area, tree, at=datetime(2026, 3, 5, 1, 0))
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.series_id == series.id and series.scheduled_through == meeting.starts_at
    assert do(datetime(2026, 3, 6, 1, 0), councils.schedule_due_occurrences) == 0
