"""The demo area holds a monthly council kept every month and a quarterly three-party
meeting that missed the last quarter."""
from sqlalchemy import select

from consult.councils import service as councils
from consult.councils.models import CouncilSeries
from consult.extensions import db
from consult.meetings.models import MeetingKind


def test_demo_holds_a_monthly_council_and_a_three_party_series_with_one_missed(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    series = {s.kind: s for s in db.session.scalars(select(CouncilSeries))}
    monthly, three = series[MeetingKind.circle], series[MeetingKind.three_party]
    kept = councils.cadence_of(monthly)
    assert kept.held >= 4 and kept.missed == []
    quarterly = councils.cadence_of(three)
    assert quarterly.held >= 1 and len(quarterly.missed) == 1
    assert [c.series for c in councils.missed_cadences(three.place)] == [three]
