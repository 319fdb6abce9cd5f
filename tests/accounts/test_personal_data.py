"""A person's own data: the page and the download hold everything about them and nothing
about others; deleting the account anonymises it and keeps the record and its counts."""
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from consult.accounts import personal_data
from consult.accounts.models import Role, SignIn, User
from consult.audit.models import AuditEntry
from consult.clock import utcnow
from consult.errors import InvalidInput, NotAllowed
from consult.extensions import db
from consult.meetings.models import Attendance, Invitee, Meeting, MeetingForm, MeetingKind
from consult.minutes.models import Minutes, MinutesState, MinutesVersion, Signature, SignerRole, StatementDetail
from consult.motions.models import Motion, Rating, Score
from consult.notifications.models import Notification
from consult.places.models import HouseholdMember
from consult.proposals.models import Category, Comment, CoSignature, Proposal
from consult.voting.models import (
    Ballot,
    BallotBoxEntry,
    BallotVoter,
    Electorate,
    Participation,
    Secrecy,
)
from tests.conftest import PASSWORD, AuthActions

PHONE = "13912345678"


@pytest.fixture
def history(tree, make_household, make_user):
    """A resident who raised a matter, commented, co-signed, voted in a named and a secret
    ballot, attended a meeting, signed its minutes, rated a motion and got a message;
    a co-owner of the same flat; and a neighbour who commented too."""
    home = make_household(tree.e1, "101")
    resident = make_user("王秀英", phone=PHONE, household=home)
    co_owner = make_user("王建国", phone="13900000002", household=home)
    neighbour = make_user("李邻居", phone="13900000003", household=make_household(tree.e1, "102"))
    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    category = db.session.scalars(select(Category)).first()
    proposal = Proposal(place=tree.b1, title="楼道灯不亮", body="三楼的灯坏了两周", category=category,
                        author_id=resident.id, entered_by_id=resident.id)
    db.session.add(proposal)
    db.session.flush()
    db.session.add_all([
        Comment(proposal_id=proposal.id, author_id=resident.id, body="我家门口最暗"),
        Comment(proposal_id=proposal.id, author_id=neighbour.id, body="邻居的私下意见"),
        CoSignature(proposal_id=proposal.id, household_id=home.id, user_id=resident.id),
    ])
    ballots = {}
    for secrecy in (Secrecy.named, Secrecy.secret):
        ballot = Ballot(place=tree.b1, question=f"是否更换灯具（{secrecy.value}）", electorate=Electorate.households,
                        secrecy=secrecy, rule="simple_majority")
        db.session.add(ballot)
        db.session.flush()
        voter = BallotVoter(ballot_id=ballot.id, voter_key=f"household:{home.id}", household_id=home.id,
                            area=Decimal("88.50"))
        db.session.add(voter)
        db.session.flush()
        db.session.add(Participation(ballot_id=ballot.id, voter_id=voter.id, cast_by_id=resident.id,
                                     choice="yes" if secrecy is Secrecy.named else None))
        ballots[secrecy] = ballot
    db.session.add(BallotBoxEntry(receipt="SECRETRECEIPT0001", ballot_id=ballots[Secrecy.secret].id,
                                  choice="no", area=Decimal("0")))
    meeting = Meeting(place=tree.b1, title="楼道议事会", kind=MeetingKind.circle, form=MeetingForm.in_person,
                      starts_at=utcnow() - timedelta(days=2), moderator_id=moderator.id)
    db.session.add(meeting)
    db.session.flush()
    db.session.add_all([Invitee(meeting_id=meeting.id, user_id=resident.id),
                        Attendance(meeting_id=meeting.id, user_id=resident.id, in_person=True)])
    minutes = Minutes(meeting_id=meeting.id, place_id=tree.b1.id, state=MinutesState.archived,
                      statements=StatementDetail.summary)
    db.session.add(minutes)
    db.session.flush()
    version = MinutesVersion(minutes_id=minutes.id, number=1, title="楼道议事会纪要", body="到会：王秀英",
                             signed_at=utcnow(), sha256="ab" * 32, canonical="到会：王秀英")
    db.session.add(version)
    db.session.flush()
    db.session.add(Signature(version_id=version.id, user_id=resident.id, role=SignerRole.representative))
    motion = Motion(place_id=tree.b1.id, title="更换楼道灯", complete_by=utcnow() + timedelta(days=3))
    db.session.add(motion)
    db.session.flush()
    db.session.add_all([
        Rating(motion_id=motion.id, round=1, household_id=home.id, user_id=resident.id, score=Score.satisfied,
               comment="修得很快"),
        Notification(user_id=resident.id, kind="no.such.kind", params={}),
    ])
    db.session.commit()
    return type("History", (), dict(resident=resident, co_owner=co_owner, neighbour=neighbour, home=home,
                                    proposal=proposal, ballots=ballots, meeting=meeting, version=version,
                                    motion=motion))


def _download(client) -> dict:
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    return json.loads(response.get_data(as_text=True))


def test_download_holds_everything_about_me(client, auth, history):
    auth.login(PHONE)
    data = _download(client)
    assert data["profile"]["name"] == "王秀英" and data["profile"]["phone"] == PHONE
    assert [h["relation"] for h in data["households"]] == ["owner"]
    assert [p["title"] for p in data["proposals"]] == ["楼道灯不亮"]
    assert [c["body"] for c in data["comments"]] == ["我家门口最暗"]
    assert [s["proposal"] for s in data["cosignatures"]] == [history.proposal.id]
    assert [(m["title"], m["attended"], m["invitation"]) for m in data["meetings"]] == [("楼道议事会", True, "pending")]
    assert [s["title"] for s in data["minutes_signatures"]] == ["楼道议事会纪要"]
    assert [(r["score"], r["comment"]) for r in data["ratings"]] == [("satisfied", "修得很快")]
    assert len(data["notifications"]) == 1
    assert len(data["sign_ins"]) == 1 and data["sign_ins"][0]["ended_at"] is None


def test_download_has_my_votes_but_never_a_secret_choice(client, auth, history):
    auth.login(PHONE)
    data = _download(client)
    votes = {v["ballot"]: v for v in data["votes"]}
    named, secret = votes[history.ballots[Secrecy.named].id], votes[history.ballots[Secrecy.secret].id]
    assert named["choice"] == "yes" and not named["secret"]
    assert secret["secret"] and "choice" not in secret
    assert "SECRETRECEIPT0001" not in json.dumps(data)


def test_download_holds_nothing_about_others(client, auth, history):
    auth.login(PHONE)
    text = json.dumps(_download(client), ensure_ascii=False)
    for other in ("邻居的私下意见", "李邻居", "13900000003", "王建国", "13900000002", "李书记"):
        assert other not in text


def test_readable_page_shows_the_same(client, auth, history):
    auth.login(PHONE)
    page = client.get("/account/data").get_data(as_text=True)
    assert "我家门口最暗" in page and "楼道议事会纪要" in page and "修得很快" in page
    assert "邻居的私下意见" not in page


@pytest.mark.parametrize("url", ["/account/data", "/account/data.json", "/account/delete"])
def test_my_data_needs_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_delete_page_says_what_stays_before_confirming(client, auth, history):
    auth.login(PHONE)
    page = client.get("/account/delete").get_data(as_text=True)
    assert "保留" in page and "签署的会议纪要" in page and 'name="password"' in page


def _counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Proposal, Comment, CoSignature, Participation, BallotBoxEntry, Attendance,
                          Signature, Rating)}


def test_deleting_the_account_anonymises_and_keeps_the_record(app, client, auth, history):
    auth.login(PHONE)
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    before = _counts()
    version_hash = history.version.sha256
    response = client.post_form("/account/delete", {"password": PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    person = db.session.get(User, history.resident.id)
    assert person.name == "已注销用户" and person.deleted_at is not None
    assert (person.phone, person.username, person.email, person.password_hash) == (None, None, None, None)
    assert not person.can_sign_in
    assert _counts() == before                                  # nothing the record counts is gone
    assert db.session.get(MinutesVersion, history.version.id).sha256 == version_hash
    assert db.session.scalar(select(Comment.body).where(Comment.author_id == person.id)) == "我家门口最暗"
    assert db.session.scalar(select(func.count()).select_from(HouseholdMember)
                             .where(HouseholdMember.user_id == person.id)) == 0
    assert db.session.scalar(select(HouseholdMember.is_designated_voter)
                             .where(HouseholdMember.user_id == history.co_owner.id)) is True
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == person.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(SignIn).where(SignIn.user_id == person.id)) == 0
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_id == person.id,
                                                             AuditEntry.target_type == "User")
                             .order_by(AuditEntry.id.desc())) == "account.delete"
    assert client.get("/account").status_code == 302            # signed out here
    assert thief.get("/account").status_code == 302             # and everywhere
    assert AuthActions(client).login(PHONE).status_code == 422  # and can never sign in again


def test_authored_content_is_shown_as_by_a_deleted_account(app, client, auth, history):
    auth.login(PHONE)
    client.post_form("/account/delete", {"password": PASSWORD})
    AuthActions(client).login("13900000003")
    page = client.get(f"/proposals/{history.proposal.id}").get_data(as_text=True)
    assert "我家门口最暗" in page and "已注销用户" in page
    assert "王**" not in page and "王秀英" not in page


def test_wrong_password_deletes_nothing(client, auth, history):
    auth.login(PHONE)
    response = client.post_form("/account/delete", {"password": "not my password"})
    assert response.status_code == 422
    db.session.expire_all()
    person = db.session.get(User, history.resident.id)
    assert person.name == "王秀英" and person.phone == PHONE and person.deleted_at is None
    assert client.get("/account").status_code == 200


def test_only_the_person_deletes_their_account(history):
    with pytest.raises(NotAllowed):
        personal_data.delete_account(history.resident, PASSWORD, actor=history.neighbour)
    with pytest.raises(InvalidInput):
        personal_data.delete_account(history.resident, "wrong", actor=history.resident)


def test_the_last_installation_administrator_cannot_delete_the_account(admin, make_user):
    with pytest.raises(NotAllowed):
        personal_data.delete_account(admin, PASSWORD, actor=admin)
    second = make_user("另一位管理员", username="admin2", role=Role.administrator)
    assert second is not None
    personal_data.delete_account(admin, PASSWORD, actor=admin)
    assert admin.deleted_at is not None
    db.session.rollback()


