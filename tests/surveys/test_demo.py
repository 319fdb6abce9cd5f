"""The demo area shows the practice: visits, a needs survey with answers, small wishes."""
from sqlalchemy import func, select

from consult.extensions import db
from consult.surveys.models import Survey, SurveyResponse, SurveyState
from consult.visits.models import Visit
from consult.wishes.models import Wish, WishState


def test_demo_holds_visits_a_survey_with_answers_and_two_wishes(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Visit)) >= 3
    survey = db.session.scalars(select(Survey)).one()
    assert survey.state is SurveyState.open and len(survey.questions) == 4
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) >= 5
    assert sorted(w.state.value for w in db.session.scalars(select(Wish))) == \
        sorted([WishState.posted.value, WishState.claimed.value])
