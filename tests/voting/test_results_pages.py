"""The pages of an owners' ballot while it is open: the settings chosen when drafting,
the live participation for the owners, changing a vote once, and the one extension."""
from datetime import datetime, timedelta

from sqlalchemy import select

from consult.clock import travel_to
from consult.extensions import db
from consult.voting.models import Ballot, NonVoters, Participation, VoteChanges

from .test_pages import draft, newest, people  # noqa: F401  (the fixture)

T0 = datetime(2026, 3, 2, 1, 0)
OWNERS = {"rule": "civil_code_278", "electorate": "owners"}


def test_the_settings_are_chosen_when_drafting_and_stated_on_the_ballot(client, auth, tree, people):  # noqa: F811
    auth.login("moderator")
    response = draft(client, tree.b1, **OWNERS, changes="once", non_voters="with_majority")
    assert response.status_code == 422 and "议事规则条款" in response.get_data(as_text=True)
    assert draft(client, tree.b1, **OWNERS, changes="once", non_voters="with_majority",
                 non_voters_reference="《业主大会议事规则》第十二条").status_code == 302
    ballot = newest()
    assert (ballot.changes, ballot.non_voters) == (VoteChanges.once, NonVoters.with_majority)
    page = client.get(f"/ballots/{ballot.id}").get_data(as_text=True)
    assert "投票结束前可以改票一次" in page and "《业主大会议事规则》第十二条" in page


def test_owners_follow_participation_and_change_their_vote_once(client, auth, tree, people):  # noqa: F811
    with travel_to(T0):
        auth.login("moderator")
        draft(client, tree.b1, **OWNERS, changes="once", closes_at="2026-03-09T09:00")
        ballot = newest()
        client.post_form(f"/ballots/{ballot.id}/open")
        auth.logout()
        auth.login("13900000001")
        client.post_form(f"/ballots/{ballot.id}/cast", {"choice": "yes"})
        page = client.get(f"/ballots/{ballot.id}").get_data(as_text=True)
        # 90 of 270 m², 1 of 3 owners; never who has not voted.
        assert "按面积：已参与 33.3%，还差 33.4% 达到 2/3" in page and "按人数：已参与 33.3%" in page
        assert "张建国" not in page and "赵大妈" not in page
        assert "改票（结束前仅一次）" in page
        page = client.post_form(f"/ballots/{ballot.id}/cast", {"choice": "no", "change": "1"},
                                follow_redirects=True).get_data(as_text=True)
        assert "已改票" in page and "改票（结束前仅一次）" not in page
        assert db.session.scalars(select(Participation.choice)).one() == "no"
        auth.logout()

        auth.login("moderator")
        page = client.get(f"/ballots/{ballot.id}").get_data(as_text=True)
        assert "延长表决（参与不足时，仅一次）" in page
        client.post_form(f"/ballots/{ballot.id}/extend", {"days": "5", "reason": "参与人数不足三分之二"})
        db.session.expire_all()
        ballot = db.session.get(Ballot, ballot.id)
        assert ballot.closes_at - ballot.first_closes_at == timedelta(days=5)
        page = client.get(f"/ballots/{ballot.id}").get_data(as_text=True)
        assert "参与人数不足三分之二" in page and "延长表决（参与不足时，仅一次）" not in page
