from sqlalchemy import select

from consult.extensions import db
from consult.surveys import service as surveys
from consult.surveys.models import Survey, SurveyState
from tests.surveys.support import make_survey


def test_moderator_drafts_adds_questions_and_opens(client, auth, people, tree):
    auth.login("moderator")
    response = client.post_form(f"/places/{tree.fc.id}/surveys", {"title": "加装电梯意愿", "scope": "household"})
    assert response.status_code == 302
    survey = db.session.scalars(select(Survey)).one()
    response = client.post_form(f"/surveys/{survey.id}/questions",
                                {"kind": "single", "prompt": "是否同意", "options": "同意\n不同意\n"})
    assert response.status_code == 302
    client.post_form(f"/surveys/{survey.id}/open")
    db.session.refresh(survey)
    assert survey.state is SurveyState.open and survey.questions[0].options == ["同意", "不同意"]


def test_resident_answers_on_the_page_and_sees_the_counts(client, auth, people, tree):
    survey = make_survey(tree.fc, people.moderator)
    auth.login("13900000001")
    page = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert f'name="q{survey.questions[0].id}"' in page
    q = survey.questions
    response = client.post_form(f"/surveys/{survey.id}/answer", {
        f"q{q[0].id}": "1", f"q{q[1].id}": ["0", "1"], f"q{q[2].id}": "5", f"q{q[3].id}": "希望有<b>助餐</b>点"})
    assert response.status_code == 302
    page = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert "<progress" in page and "希望有" not in page  # own free text is not shown back to residents
    assert surveys.response_count(survey) == 1


def test_an_incomplete_answer_is_refused_and_nothing_counted(client, auth, people, tree):
    survey = make_survey(tree.fc, people.moderator)
    auth.login("13900000001")
    response = client.post_form(f"/surveys/{survey.id}/answer", {f"q{survey.questions[0].id}": "0"})
    assert response.status_code == 422
    assert surveys.response_count(survey) == 0


def test_staff_read_free_text_and_download_csv(client, auth, people, tree):
    survey = make_survey(tree.fc, people.moderator)
    auth.login("13900000001")
    q = survey.questions
    client.post_form(f"/surveys/{survey.id}/answer", {
        f"q{q[0].id}": "1", f"q{q[1].id}": "0", f"q{q[2].id}": "5", f"q{q[3].id}": "希望有<b>助餐</b>点"})
    auth.logout()
    auth.login("moderator")
    page = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert "希望有&lt;b&gt;助餐&lt;/b&gt;点" in page
    response = client.get(f"/surveys/{survey.id}/results.csv")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    assert "text/csv" in response.headers["Content-Type"]


def test_neighbours_do_not_get_the_csv_and_strangers_not_the_survey(client, auth, people, tree):
    survey = make_survey(tree.fc, people.moderator)
    auth.login("13900000002")
    assert client.get(f"/surveys/{survey.id}/results.csv").status_code == 404
    auth.logout()
    auth.login("13900000009")
    assert client.get(f"/surveys/{survey.id}").status_code == 404


def test_closing_asks_first(client, auth, people, tree):
    survey = make_survey(tree.fc, people.moderator)
    auth.login("moderator")
    page = client.post_form(f"/surveys/{survey.id}/close")
    assert page.status_code == 200 and 'name="confirmed"' in page.get_data(as_text=True)
    db.session.refresh(survey)
    assert survey.state is SurveyState.open
    client.post_form(f"/surveys/{survey.id}/close", {"confirmed": "1"})
    db.session.refresh(survey)
    assert survey.state is SurveyState.closed


def test_pages_and_csv_in_english(client, auth, people, tree):
    survey = make_survey(tree.fc, people.moderator)
    people.moderator.locale = "en"
    db.session.commit()
    auth.login("moderator")
    page = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert "Results" in page and "0 responses" in page
    assert client.get(f"/surveys/{survey.id}/results.csv").data.decode("utf-8-sig").startswith(
        "Question no.,Survey question,Survey answer,Count,Share")
    for url in (f"/places/{tree.fc.id}/surveys", f"/places/{tree.fc.id}/visits", f"/places/{tree.fc.id}/wishes",
                f"/places/{tree.fc.id}"):
        response = client.get(url)
        assert response.status_code == 200 and "<html" in response.get_data(as_text=True), url
    assert "Household visits" in client.get(f"/places/{tree.fc.id}").get_data(as_text=True)
