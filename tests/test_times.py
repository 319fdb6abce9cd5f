"""What is typed on a page is what is stored (in UTC) and what is shown back: for every form
that takes a time or a date, in Beijing time and in a zone with daylight saving."""
from datetime import date, datetime

import pytest
from sqlalchemy import select

from consult import clock
from consult.accounts.models import Role
from consult.extensions import db
from consult.meetings.models import Meeting
from consult.proposals.models import ProposalCall
from consult.voting.models import Ballot

NOW = datetime(2026, 3, 1, 2, 0)   # 10:00 in Beijing, before the spring change in Europe


@pytest.fixture(autouse=True)
def stopped_clock():
    clock.set_now(NOW)
    yield
    clock.set_now(None)


@pytest.fixture
def moderator(tree, make_user, make_household):
    make_user("一位居民", household=make_household(tree.e1))
    return make_user("社区主持人", username="moderator", role=Role.moderator, place=tree.fc)


def schedule(client, place, starts_at: str):
    return client.post_form(f"/places/{place.id}/meetings/new", {
        "title": "楼道议事会", "kind": "circle", "form": "in_person", "starts_at": starts_at,
        "location": "议事厅", "quorum": "none", "free_items": "楼道堆物", "invite_residents": "y"})


def test_a_meeting_typed_for_1430_is_stored_at_0630_utc_and_shown_as_1430(client, auth, tree, moderator):
    auth.login("moderator")
    response = schedule(client, tree.b1, "2026-12-20T14:30")
    assert response.status_code == 302
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.starts_at == datetime(2026, 12, 20, 6, 30)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "14:30" in page and "14:24" not in page
    # The form to move it is filled with the time as it was typed.
    assert 'value="2026-12-20T14:30"' in page


def test_a_rescheduled_meeting_keeps_the_typed_time(client, auth, tree, moderator):
    auth.login("moderator")
    schedule(client, tree.b1, "2026-12-20T14:30")
    meeting = db.session.scalars(select(Meeting)).one()
    client.post_form(f"/meetings/{meeting.id}/reschedule", {"starts_at": "2026-12-21T09:05", "location": "议事厅"})
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).starts_at == datetime(2026, 12, 21, 1, 5)


def test_a_ballot_period_is_stored_as_typed(client, auth, tree, moderator):
    auth.login("moderator")
    response = client.post_form(f"/places/{tree.b1.id}/ballots/new", {
        "question": "是否同意更换门禁？", "rule": "simple_majority", "kind": "yes_no", "electorate": "households",
        "secrecy": "named", "max_choices": "1", "opens_at": "2026-12-16T08:00", "closes_at": "2026-12-23T14:23"})
    assert response.status_code == 302
    ballot = db.session.scalars(select(Ballot)).one()
    assert (ballot.opens_at, ballot.closes_at) == (datetime(2026, 12, 16, 0, 0), datetime(2026, 12, 23, 6, 23))
    page = client.get(f"/ballots/{ballot.id}").get_data(as_text=True)
    assert "14:23" in page and "14:17" not in page


def test_a_call_open_until_a_day_lasts_all_of_that_day(client, auth, tree, moderator):
    auth.login("moderator")
    client.post_form(f"/places/{tree.fc.id}/calls", {"title": "每月一题", "description": "", "closes_on": "2026-03-16"})
    call = db.session.scalars(select(ProposalCall)).one()
    assert call.closes_at == datetime(2026, 3, 16, 16, 0)   # midnight after the 16th, Beijing time
    page = client.get(f"/places/{tree.fc.id}/proposals").get_data(as_text=True)
    assert "24:00" in page and "3/17" not in page and "03-17" not in page


def test_the_search_period_counts_local_days(client, auth, tree, moderator):
    from consult.clock import end_of_local_day, start_of_local_day

    assert start_of_local_day(date(2026, 1, 1)) == datetime(2025, 12, 31, 16, 0)
    assert end_of_local_day(date(2026, 1, 1)) == datetime(2026, 1, 1, 16, 0)


# --- a zone with daylight saving --------------------------------------------------------------

@pytest.fixture
def berlin(app):
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Berlin"
    yield
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Shanghai"


@pytest.mark.parametrize("typed, stored", [
    ("2026-03-28T14:30", datetime(2026, 3, 28, 13, 30)),    # winter time, UTC+1
    ("2026-03-29T14:30", datetime(2026, 3, 29, 12, 30)),    # summer time from that night, UTC+2
    ("2026-10-25T01:30", datetime(2026, 10, 24, 23, 30)),   # still summer time
    ("2026-10-25T02:30", datetime(2026, 10, 25, 0, 30)),    # happens twice: the first is taken
    ("2026-10-25T14:30", datetime(2026, 10, 25, 13, 30)),   # winter time again
])
def test_times_across_a_daylight_saving_change(client, auth, tree, moderator, berlin, typed, stored):
    auth.login("moderator")
    assert schedule(client, tree.b1, typed).status_code == 302
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.starts_at == stored
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f'value="{typed}"' in page
    assert typed[-5:] in page.split(f'value="{typed}"')[0]   # the meeting's time as shown above the form


def test_a_time_the_clocks_skip_is_refused_with_a_reason(client, auth, tree, moderator, berlin):
    auth.login("moderator")
    response = schedule(client, tree.b1, "2026-03-29T02:30")
    assert response.status_code == 422
    assert "时间不存在" in response.get_data(as_text=True)
    assert db.session.scalars(select(Meeting)).first() is None
