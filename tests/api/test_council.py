"""A whole council as a mini-program drives it: the residents and the property company
act through the API alone (raise, co-sign, comment, vote, acknowledge, accept, report
progress, complete, rate); the moderator's steps are the services the pages call."""
from sqlalchemy import select

from consult.accounts.models import Organisation, OrganisationKind, OrganisationMember, Role
from consult.database import unit_of_work
from consult.extensions import db
from consult.motions import service as motions
from consult.proposals import service as proposals
from consult.proposals.models import Category, Proposal, ProposalState, Tier
from consult.voting import service as voting
from consult.voting.models import Electorate, Secrecy


def test_a_council_through_the_api(api, tree, make_household, make_user, make_token):
    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    manager = make_user("物业经理", username="property", role=Role.property_manager, place=tree.north)
    company = Organisation(place=tree.north, kind=OrganisationKind.property_company, name="物业公司")
    db.session.add(company)
    db.session.add(OrganisationMember(organisation=company, user=manager))
    db.session.commit()
    author = api(make_token(make_user("王秀英", household=make_household(tree.e1, "101"))))
    neighbour = api(make_token(make_user("张建国", household=make_household(tree.e1, "102"))))
    company_app = api(make_token(manager))
    category = db.session.scalars(select(Category)).first()

    # 说事: raise, co-sign, comment.
    raised = author.post(f"/api/v1/places/{tree.b1.id}/proposals", headers={"Idempotency-Key": "raise-1"},
                         json={"title": "电梯经常停运", "body": "一周停了三次", "category_id": category.id})
    assert raised.status_code == 201
    proposal_id = raised.get_json()["id"]
    assert neighbour.post(f"/api/v1/proposals/{proposal_id}/cosign").status_code == 200
    assert neighbour.post(f"/api/v1/proposals/{proposal_id}/comments", json={"body": "同意"}).status_code == 201

    # 理事 and 议事: the moderator triages and puts it to the vote.
    proposal = db.session.get(Proposal, proposal_id)
    with unit_of_work():
        proposals.triage(proposal, actor=moderator, category=category, tier=Tier.circle)
    with unit_of_work():
        ballot = voting.draft_ballot(tree.b1, actor=moderator, question="是否请物业大修电梯？",
                                     electorate=Electorate.households, secrecy=Secrecy.named,
                                     rule="simple_majority", proposal=proposal)
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    for resident in (author, neighbour):
        mine = resident.get("/api/v1/ballots").get_json()["items"]
        assert [b["id"] for b in mine] == [ballot.id] and mine[0]["may_vote"]
        assert resident.post(f"/api/v1/ballots/{ballot.id}/cast", json={"choice": ["yes"]}).status_code == 200
    with unit_of_work():
        voting.close_ballot(ballot, actor=moderator)
    result = author.get(f"/api/v1/ballots/{ballot.id}/result").get_json()["result"]
    assert result["passed"] is True
    assert author.get(f"/api/v1/proposals/{proposal_id}").get_json()["state"] == ProposalState.decided.value

    # 办事: the decision becomes a motion; the company works it through the API.
    with unit_of_work():
        motion = motions.assign(tree.b1, actor=moderator, title="大修电梯", body="按表决结果办理",
                                organisations=[company], proposal=proposal, ballot=ballot)
    for path, body in (("acknowledge", {}), ("answer", {"answer": "accept"}), ("progress", {"body": "已订购配件"}),
                       ("complete", {"body": "电梯已修复并通过检验"})):
        response = company_app.post(f"/api/v1/motions/{motion.id}/{path}", json=body)
        assert response.status_code == 200, (path, response.get_json())

    # 评事: the residents rate; everybody reads the ratings and the news in their inbox.
    for resident in (author, neighbour):
        assert resident.post(f"/api/v1/motions/{motion.id}/rate", json={"score": "satisfied"}).status_code == 200
    ratings = author.get(f"/api/v1/motions/{motion.id}/ratings").get_json()
    assert ratings["total"] == 2 and ratings["counts"]["satisfied"] == 2 and ratings["mine"] == "satisfied"
    inbox = author.get("/api/v1/notifications").get_json()
    assert inbox["unread"] >= 1 and any(n["kind"].startswith("motion.") for n in inbox["items"])
    figures = author.get(f"/api/v1/places/{tree.fc.id}/figures").get_json()["total"]
    assert figures["received"] == 1 and figures["satisfaction_rate"] == 1.0
