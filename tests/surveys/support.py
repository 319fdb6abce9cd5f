"""Building a survey and answering it, for the survey tests."""
from consult.database import unit_of_work
from consult.surveys import service as surveys
from consult.surveys.models import AnswerScope, QuestionKind, SurveyState


def make_survey(place, actor, scope=AnswerScope.household, state=SurveyState.open):
    with unit_of_work():
        survey = surveys.create_survey(place, actor=actor, title="社区服务需求征集", description="", scope=scope)
        surveys.add_question(survey, actor=actor, kind=QuestionKind.single, prompt="最需要的服务",
                             options=["助餐", "理发", "维修"])
        surveys.add_question(survey, actor=actor, kind=QuestionKind.multiple, prompt="方便的时间",
                             options=["上午", "下午", "晚上"])
        surveys.add_question(survey, actor=actor, kind=QuestionKind.scale, prompt="对物业的满意度")
        surveys.add_question(survey, actor=actor, kind=QuestionKind.text, prompt="其他建议")
        if state is not SurveyState.draft:
            surveys.open_survey(survey, actor=actor)
    return survey


def answers_for(survey, single=0, multiple=(0, 2), scale=4, text="楼下加个长椅"):
    q = survey.questions
    return {q[0].id: str(single), q[1].id: [str(m) for m in multiple], q[2].id: str(scale), q[3].id: text}


def answer(survey, actor, **kwargs):
    with unit_of_work():
        return surveys.answer_survey(survey, actor=actor, answers=answers_for(survey, **kwargs))
