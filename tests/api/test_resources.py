"""The resources call the same services as the pages: ballots, motions, meetings,
notifications, figures."""
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Organisation, OrganisationKind, OrganisationMember, Role
from consult.api.models import IdempotentRequest
from consult.database import unit_of_work
from consult.extensions import db
from consult.meetings import service as meetings
from consult.meetings.models import Invitee, MeetingForm, MeetingKind, Quorum, Response
from consult.motions import service as motions
from consult.motions.models import MotionState
from consult.notifications.models import Notification
from consult.voting import service as voting
from consult.voting.models import BallotBoxEntry, Electorate, Participation, Secrecy


def _ballot(place, moderator, secrecy=Secrecy.secret):
    with unit_of_work():
        ballot = voting.draft_ballot(place, actor=moderator, question="同意维修吗？", electorate=Electorate.households,
                                     secrecy=secrecy, rule="simple_majority")
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    return ballot


def test_a_resident_casts_a_secret_vote_once_and_its_receipt_is_kept_only_in_the_box(
        api, tree, make_household, make_user, make_token):
    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    voter = make_user("王秀英", household=make_household(tree.e1))
    ballot = _ballot(tree.b1, moderator)
    client = api(make_token(voter))
    listed = client.get("/api/v1/ballots").get_json()["items"]
    assert [b["id"] for b in listed] == [ballot.id] and listed[0]["may_vote"] and not listed[0]["voted"]
    key = {"Idempotency-Key": "vote-1"}
    first = client.post(f"/api/v1/ballots/{ballot.id}/cast", json={"choice": ["yes"]}, headers=key)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    receipt = first.get_json()["receipt"]
    assert receipt and db.session.scalar(select(BallotBoxEntry.receipt)) == receipt
    again = client.post(f"/api/v1/ballots/{ballot.id}/cast", json={"choice": ["yes"]}, headers=key)
    assert again.status_code == 200 and again.get_json()["counted"]
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1
    assert db.session.scalar(select(func.count()).select_from(IdempotentRequest)) == 0   # no copy of the receipt
    assert client.get(f"/api/v1/ballots/{ballot.id}").get_json()["voted"] is True
    other = client.post(f"/api/v1/ballots/{ballot.id}/cast", json={"choice": ["no"]}, headers={"Idempotency-Key": "2"})
    assert other.status_code == 409 and other.get_json()["code"] == "conflict"
    assert client.get(f"/api/v1/ballots/{ballot.id}/result").get_json()["result"] is None
    with unit_of_work():
        voting.close_ballot(ballot, actor=moderator)
    result = client.get(f"/api/v1/ballots/{ballot.id}/result").get_json()
    assert result["state"] == "closed" and result["result"]["passed"] is True


def test_a_resident_outside_the_electorate_may_not_vote(api, tree, make_household, make_user, make_token):
    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    make_user("王秀英", household=make_household(tree.e1))
    ballot = _ballot(tree.b1, moderator)
    neighbour = make_user("二号楼居民", household=make_household(tree.b2, "201"))
    response = api(make_token(neighbour)).post(f"/api/v1/ballots/{ballot.id}/cast", json={"choice": ["yes"]})
    assert response.status_code in (403, 404)
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0


def _motion(tree, make_user):
    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    manager = make_user("物业经理", username="property", role=Role.property_manager, place=tree.north)
    company = Organisation(place=tree.north, kind=OrganisationKind.property_company, name="物业公司")
    db.session.add(company)
    db.session.add(OrganisationMember(organisation=company, user=manager))
    db.session.commit()
    with unit_of_work():
        motion = motions.assign(tree.b1, actor=moderator, title="维修屋顶", body="屋顶漏水", organisations=[company])
    return motion, manager


def test_a_responder_works_a_motion_through_the_api(api, tree, make_household, make_user, make_token):
    motion, manager = _motion(tree, make_user)
    resident = make_user("王秀英", household=make_household(tree.e1))
    assert api(make_token(resident)).post(f"/api/v1/motions/{motion.id}/acknowledge").status_code == 403
    client = api(make_token(manager))
    seen = client.get(f"/api/v1/motions/{motion.id}").get_json()
    assert "acknowledge" in seen["actions"]
    assert client.post(f"/api/v1/motions/{motion.id}/acknowledge").get_json()["state"] == "acknowledged"
    answered = client.post(f"/api/v1/motions/{motion.id}/answer", json={"answer": "accept"})
    assert answered.status_code == 200 and answered.get_json()["state"] == MotionState.in_progress.value
    assert client.post(f"/api/v1/motions/{motion.id}/progress", json={"body": "已联系施工队"}).status_code == 200
    wrong = client.post(f"/api/v1/motions/{motion.id}/answer", json={"answer": "maybe"})
    assert wrong.status_code == 422 and "answer" in wrong.get_json()["errors"]
    done = client.post(f"/api/v1/motions/{motion.id}/complete", json={"body": "屋顶已修好"})
    assert done.get_json()["state"] == MotionState.completed.value
    again = client.post(f"/api/v1/motions/{motion.id}/complete", json={"body": "屋顶已修好"})
    assert again.status_code == 409 and again.get_json()["code"] == "invalid_transition"
    rated = api(make_token(resident)).post(f"/api/v1/motions/{motion.id}/rate", json={"score": "satisfied"})
    assert rated.status_code == 200, rated.get_json()
    listed = client.get(f"/api/v1/places/{tree.north.id}/motions?state=completed").get_json()["items"]
    assert [m["id"] for m in listed] == [motion.id]


def test_an_invitee_answers_an_invitation(api, tree, make_household, make_user, make_token):
    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    resident = make_user("王秀英", household=make_household(tree.e1))
    with unit_of_work():
        meeting = meetings.schedule(tree.b1, actor=moderator, title="议事会", kind=MeetingKind.circle,
                                    form=MeetingForm.online, starts_at=clock.utcnow(), location="",
                                    quorum=Quorum.none, invite_residents=True, free_items=["漏水"])
    client = api(make_token(resident))
    assert client.get(f"/api/v1/meetings/{meeting.id}").get_json()["invited"] is True
    answered = client.post(f"/api/v1/meetings/{meeting.id}/invitation", json={"accept": False})
    assert answered.status_code == 200 and answered.get_json()["accepted"] is False
    invitee = db.session.scalar(select(Invitee).where(Invitee.user_id == resident.id))
    assert invitee.response is Response.declined
    listed = client.get(f"/api/v1/places/{tree.fc.id}/meetings").get_json()["items"]
    assert [m["id"] for m in listed] == [meeting.id]


def test_the_inbox_is_read_and_marked_read(api, tree, make_household, make_user, make_token):
    motion, manager = _motion(tree, make_user)
    client = api(make_token(manager))
    page = client.get("/api/v1/notifications").get_json()
    assert page["unread"] >= 1 and page["items"][0]["kind"].startswith("motion.")
    assert "维修屋顶" in page["items"][0]["text"]
    assert client.post("/api/v1/notifications/read").get_json() == {"unread": 0}
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == manager.id, Notification.read_at.is_(None))) == 0


def test_the_figures_of_a_place(api, tree, make_household, make_user, make_token):
    motion, manager = _motion(tree, make_user)
    resident = make_user("王秀英", household=make_household(tree.e1))
    figures = api(make_token(resident)).get(f"/api/v1/places/{tree.fc.id}/figures").get_json()
    assert figures["total"]["received"] == 1 and figures["place"]["id"] == tree.fc.id
    refused = api(make_token(resident)).get(f"/api/v1/places/{tree.fc.id}/figures?start=2026-02-01&end=2026-01-01")
    assert refused.status_code == 422 and refused.get_json()["errors"]["start"]


def test_search_finds_a_two_character_word_the_viewer_may_read(api, tree, make_household, make_user, make_token):
    from consult.proposals import service as proposals
    from consult.proposals.models import Category

    resident = make_user("王秀英", household=make_household(tree.e1))
    with unit_of_work():
        proposals.raise_proposal(tree.b1, actor=resident, title="电梯坏了三天", body="请打13912345678",
                                 category=db.session.scalars(select(Category)).first())
    found = api(make_token(resident)).get("/api/v1/search?q=电梯").get_json()
    assert [hit["kind"] for hit in found["items"]] == ["proposal"] and "电梯" in found["items"][0]["title"]
    assert "<mark" not in found["items"][0]["title"]
    outsider = make_user("外社区居民", household=make_household(tree.jb, "801"))
    assert api(make_token(outsider)).get("/api/v1/search?q=电梯").get_json()["items"] == []
    assert api(make_token(outsider)).get(f"/api/v1/search?q=电梯&place={tree.fc.id}").status_code == 404


def test_published_minutes_are_read_with_their_hash(api, tree, make_household, make_user, make_token):
    from consult.minutes import service as minutes_service
    from consult.minutes.models import Minutes

    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    resident = make_user("王秀英", household=make_household(tree.e1))
    with unit_of_work():
        meeting = meetings.schedule(tree.b1, actor=moderator, title="议事会", kind=MeetingKind.circle,
                                    form=MeetingForm.online, starts_at=clock.utcnow(), location="",
                                    quorum=Quorum.none, invite_residents=True, free_items=["漏水"])
    for step in ("start", "end"):
        with unit_of_work():
            meetings.change_state(meeting, step, actor=moderator)
    minutes = db.session.scalar(select(Minutes))
    client = api(make_token(resident))
    assert client.get(f"/api/v1/minutes/{minutes.id}").status_code == 404     # a draft: not yet theirs to read
    with unit_of_work():
        minutes_service.submit(minutes, actor=moderator)
    with unit_of_work():
        minutes_service.sign(minutes, actor=moderator)
    db.session.refresh(minutes)
    read = client.get(f"/api/v1/minutes/{minutes.id}")
    assert read.status_code == 200, read.get_json()
    version = read.get_json()["versions"][0]
    assert version["sha256"] == minutes.current.sha256 and version["verified"] is True


def test_my_ballots_are_walked_with_a_cursor(api, tree, make_household, make_user, make_token):
    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    voter = make_user("王秀英", household=make_household(tree.e1))
    ballots = [_ballot(tree.b1, moderator) for _ in range(3)]
    client = api(make_token(voter))
    first = client.get("/api/v1/ballots?limit=2").get_json()
    second = client.get(f"/api/v1/ballots?limit=2&cursor={first['next_cursor']}").get_json()
    assert [b["id"] for b in first["items"] + second["items"]] == sorted((b.id for b in ballots), reverse=True)
    assert second["next_cursor"] is None and not first["next_cursor"].isdigit()


def test_calls_for_proposals_are_listed_and_answered(api, tree, make_household, make_user, make_token):
    from datetime import timedelta

    from consult.proposals import service as proposals
    from consult.proposals.models import Category, Proposal

    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    resident = make_user("王秀英", household=make_household(tree.e1))
    with unit_of_work():
        call = proposals.open_call(tree.fc, actor=moderator, title="社区微更新征集", description="",
                                   closes_at=clock.utcnow() + timedelta(days=7))
    client = api(make_token(resident))
    listed = client.get(f"/api/v1/places/{tree.b1.id}/calls").get_json()["items"]
    assert [(c["id"], c["open"]) for c in listed] == [(call.id, True)]
    category = db.session.scalars(select(Category)).first()
    raised = client.post(f"/api/v1/places/{tree.b1.id}/proposals",
                         json={"title": "加装休息座椅", "body": "……", "category_id": category.id, "call_id": call.id})
    assert raised.status_code == 201 and db.session.get(Proposal, raised.get_json()["id"]).call_id == call.id
    wrong = client.post(f"/api/v1/places/{tree.b1.id}/proposals",
                        json={"title": "x", "body": "y", "category_id": category.id, "call_id": call.id + 99})
    assert wrong.status_code == 422 and "call_id" in wrong.get_json()["errors"]
