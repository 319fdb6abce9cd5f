from datetime import datetime

from sqlalchemy import select

from consult.clock import travel_to
from consult.councils import service as councils
from consult.councils.models import CouncilSeries
from consult.database import unit_of_work
from consult.extensions import db
from consult.meetings.models import Meeting


def test_a_moderator_sets_up_a_monthly_council_from_the_place(client, auth, area, tree):
    auth.login("moderator")
    assert f"/places/{tree.fc.id}/councils" in client.get(f"/places/{tree.fc.id}").get_data(as_text=True)
    response = client.post_form(f"/places/{tree.fc.id}/councils", {
        "title": "富成花园月度议事会", "kind": "circle", "cadence_months": "1", "day_of_month": "15",
        "local_time": "19:30", "form": "in_person", "location": "社区议事厅", "invite_residents": "y",
        "organisations": str(area.company.id)})
    assert response.status_code == 302
    series = db.session.scalars(select(CouncilSeries)).one()
    assert series.organisation_ids == [area.company.id] and series.invite_residents
    page = client.get(f"/councils/{series.id}").get_data(as_text=True)
    assert "富成花园月度议事会" in page and "恒安物业" in page


def test_a_bad_time_shows_the_form_again_and_residents_cannot_set_up(client, auth, area, tree):
    auth.login("moderator")
    response = client.post_form(f"/places/{tree.fc.id}/councils", {
        "title": "议事会", "kind": "circle", "cadence_months": "1", "day_of_month": "15", "local_time": "7pm",
        "form": "online", "invite_residents": "y"})
    assert response.status_code == 422
    auth.logout()
    auth.login("13900000001")
    assert client.post_form(f"/places/{tree.fc.id}/councils", {"title": "x"}).status_code == 403
    assert db.session.scalar(select(CouncilSeries.id)) is None


def test_the_place_page_warns_of_a_missed_council_and_the_figures_count_it(client, auth, area, tree):
    with travel_to(datetime(2026, 1, 2, 1, 0)), unit_of_work():
        councils.create_series(tree.fc, actor=area.moderator, title="三方联席会", kind=councils.MeetingKind.three_party,
                               cadence_months=3, day_of_month=15, local_time="19:30",
                               form=councils.MeetingForm.online, organisations=[area.company])
    with travel_to(datetime(2026, 4, 10, 1, 0)):
        auth.login("13900000001")
        page = client.get(f"/places/{tree.fc.id}").get_data(as_text=True)
        assert "三方联席会" in page and "2026年第1季度" in page
        figures = client.get(f"/places/{tree.fc.id}/figures?start=2026-01-01&end=2026-04-10").get_data(as_text=True)
        assert 'id="councils"' in figures
    # The first meeting was within reach when the council was set up: scheduled at once, never held.
    assert db.session.scalars(select(Meeting)).one().state.value == "scheduled"


def test_a_grid_council_shows_on_the_grid_and_the_meeting_pages(client, auth, area, tree):
    with travel_to(datetime(2026, 3, 1, 1, 0)), unit_of_work():
        councils.create_series(tree.fc, actor=area.moderator, title="第二网格议事会", kind=councils.MeetingKind.circle,
                               cadence_months=1, day_of_month=15, local_time="19:30",
                               form=councils.MeetingForm.online, grid=area.grid)
    with travel_to(datetime(2026, 3, 3, 1, 0)), unit_of_work():
        councils.schedule_due_occurrences()
    meeting = db.session.scalars(select(Meeting)).one()
    auth.login("moderator")
    assert f"/meetings/{meeting.id}" in client.get(f"/grids/{area.grid.id}").get_data(as_text=True)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f"/grids/{area.grid.id}" in page and f"/councils/{meeting.series_id}" in page
