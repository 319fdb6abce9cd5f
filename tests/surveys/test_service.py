import csv
import io

import pytest
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from consult.database import unit_of_work
from consult.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from consult.extensions import db
from consult.surveys import service as surveys
from consult.surveys.models import AnswerScope, QuestionKind, SurveyResponse, SurveyState
from tests.surveys.support import answer, make_survey


def test_results_count_every_choice(people, tree):
    survey = make_survey(tree.fc, people.moderator)
    answer(survey, people.owner)
    answer(survey, people.neighbour, single=2, multiple=(0,), scale=2, text="")
    found = surveys.results(survey, actor=people.moderator)
    assert found["total"] == 2
    single, multiple, scale, text = found["questions"]
    assert [c["count"] for c in single["choices"]] == [1, 0, 1]
    assert [c["count"] for c in multiple["choices"]] == [2, 0, 1]
    assert [c["count"] for c in scale["choices"]] == [0, 1, 0, 1, 0] and scale["mean"] == 3
    assert text["text_count"] == 1 and [t for t, _ in text["texts"]] == ["楼下加个长椅"]


def test_one_answer_per_household(people, tree):
    survey = make_survey(tree.fc, people.moderator, scope=AnswerScope.household)
    answer(survey, people.owner)
    with force_locale("en"), pytest.raises(Conflict, match="household has already answered"):
        answer(survey, people.spouse)
    assert surveys.response_count(survey) == 1


def test_one_answer_per_person_lets_each_member_answer_once(people, tree):
    survey = make_survey(tree.fc, people.moderator, scope=AnswerScope.person)
    answer(survey, people.owner)
    answer(survey, people.spouse)
    with pytest.raises(Conflict):
        answer(survey, people.owner)
    assert surveys.response_count(survey) == 2


def test_the_database_refuses_a_second_answer_of_the_same_household(people, tree):
    survey = make_survey(tree.fc, people.moderator)
    db.session.add_all([SurveyResponse(survey=survey, respondent_id=people.owner.id, answerer_key="household:1"),
                        SurveyResponse(survey=survey, respondent_id=people.spouse.id, answerer_key="household:1")])
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("who", ["stranger", "grid", "moderator"])
def test_only_residents_of_the_place_answer(people, tree, who):
    survey = make_survey(tree.b1, people.moderator)
    with pytest.raises(NotAllowed):
        answer(survey, getattr(people, who))
    with pytest.raises(NotAllowed):
        answer(make_survey(tree.b1, people.moderator), people.neighbour)  # lives in 2号楼


def test_a_choice_question_must_be_answered(people, tree):
    survey = make_survey(tree.fc, people.moderator)
    with force_locale("en"), pytest.raises(InvalidInput, match="最需要的服务"):
        answer(survey, people.owner, single=7)
    with pytest.raises(InvalidInput):
        answer(survey, people.owner, multiple=())
    with pytest.raises(InvalidInput):
        answer(survey, people.owner, scale=6)
    assert surveys.response_count(survey) == 0


def test_draft_and_closed_surveys_take_no_answers(people, tree):
    draft = make_survey(tree.fc, people.moderator, state=SurveyState.draft)
    with pytest.raises(NotAllowed):
        answer(draft, people.owner)
    survey = make_survey(tree.fc, people.moderator)
    with unit_of_work():
        surveys.close_survey(survey, actor=people.moderator)
    with pytest.raises(NotAllowed):
        answer(survey, people.owner)
    with pytest.raises(InvalidTransition):
        surveys.open_survey(survey, actor=people.moderator)


def test_questions_change_only_in_a_draft_and_only_by_moderators(people, tree):
    survey = make_survey(tree.fc, people.moderator)
    with pytest.raises(InvalidTransition):
        surveys.add_question(survey, actor=people.moderator, kind=QuestionKind.text, prompt="再问一句")
    draft = make_survey(tree.fc, people.moderator, state=SurveyState.draft)
    with pytest.raises(NotAllowed):
        surveys.add_question(draft, actor=people.grid, kind=QuestionKind.text, prompt="再问一句")
    with pytest.raises(InvalidInput):
        surveys.add_question(draft, actor=people.moderator, kind=QuestionKind.single, prompt="只有一个选项",
                             options=["是"])


def test_residents_do_not_read_free_text_answers(people, tree):
    survey = make_survey(tree.fc, people.moderator)
    answer(survey, people.owner)
    found = surveys.results(survey, actor=people.neighbour)
    assert found["texts_visible"] is False and found["questions"][3]["texts"] == []
    assert found["questions"][3]["text_count"] == 1
    with pytest.raises(NotAllowed):
        surveys.results_csv(survey, actor=people.neighbour)


def test_a_draft_is_seen_only_by_who_runs_it(people, tree):
    draft = make_survey(tree.fc, people.moderator, state=SurveyState.draft)
    assert surveys.can_view_survey(people.moderator, draft)
    assert not surveys.can_view_survey(people.owner, draft)
    assert surveys.surveys_in(tree.b1, actor=people.owner) == []


def test_csv_has_a_bom_and_chinese_headers(app, people, tree):
    survey = make_survey(tree.fc, people.moderator)
    answer(survey, people.owner, text="=HYPERLINK(1)")
    with app.test_request_context(), force_locale("zh_Hans"):
        body = surveys.results_csv(survey, actor=people.moderator)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "问题", "回答", "人数", "占比"]
    assert ["1", "最需要的服务", "助餐", "1", "100.0%"] in rows
    assert any(r[2] == "'=HYPERLINK(1)" for r in rows)
    assert "业主" not in body.decode("utf-8-sig")


def test_a_community_lists_the_surveys_of_its_buildings_and_a_building_those_above(people, tree):
    in_building = make_survey(tree.b1, people.moderator)
    in_community = make_survey(tree.fc, people.moderator)
    assert surveys.surveys_in(tree.fc, actor=people.moderator) == [in_community, in_building]
    assert surveys.surveys_in(tree.e1, actor=people.owner) == [in_community, in_building]
    assert surveys.surveys_in(tree.b2, actor=people.neighbour) == [in_community]
