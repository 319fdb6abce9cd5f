"""The ballot pages end to end: drafting, opening, casting on a phone, paper ballots,
results, the published box, periods, and who may see what."""
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from consult.accounts.models import Role
from consult.clock import utcnow
from consult.extensions import db
from consult.places.models import Relation
from consult.proposals.models import Category, Proposal, ProposalState, Tier
from consult.voting.models import Ballot, BallotBoxEntry, BallotState, BallotVoter, Participation


@pytest.fixture
def people(tree, make_household, make_user):
    h101 = make_household(tree.e1, "101", "90.00")
    h102 = make_household(tree.e1, "102", "60.00")
    h201 = make_household(tree.e2, "201", "120.00")
    return type("People", (), dict(
        wang=make_user("王秀英", phone="13900000001", household=h101),
        wang_son=make_user("王小军", phone="13900000011", household=h101, relation=Relation.family),
        zhang=make_user("张建国", phone="13900000002", household=h102),
        zhao=make_user("赵大妈", phone="13900000003", household=h201),
        outsider=make_user("刘先生", phone="13900000004", household=make_household(tree.jb, "101")),
        moderator=make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc),
        grid=make_user("陈网格员", username="grid", role=Role.grid_worker, place=tree.b1),
        expert=make_user("周律师", phone="13900000009", role=Role.expert, place=tree.sub),
    ))


def draft(client, place, **fields):
    data = {"question": "是否同意加装电梯？", "rule": "simple_majority", "kind": "yes_no", "options": "",
            "max_choices": "1", "electorate": "households", "secrecy": "named", "opens_at": "", "closes_at": ""}
    data.update(fields)
    return client.post_form(f"/places/{place.id}/ballots/new", data)


def newest() -> Ballot:
    return db.session.scalars(select(Ballot).order_by(Ballot.id.desc())).first()


def run_ballot(client, auth, place, **fields) -> Ballot:
    auth.login("moderator")
    assert draft(client, place, **fields).status_code == 302
    ballot = newest()
    assert client.post_form(f"/ballots/{ballot.id}/open").status_code == 302
    auth.logout()
    return ballot


def vote(client, auth, phone, ballot, *choices):
    auth.login(phone)
    response = client.post_form(f"/ballots/{ballot.id}/cast", {"choice": list(choices)}, follow_redirects=True)
    auth.logout()
    return response.get_data(as_text=True)


def close(client, auth, ballot):
    auth.login("moderator")
    asked = client.post_form(f"/ballots/{ballot.id}/close").get_data(as_text=True)
    assert 'name="confirmed"' in asked and db.session.get(Ballot, ballot.id).state is not BallotState.closed
    client.post_form(f"/ballots/{ballot.id}/close", {"confirmed": "1"})
    page = client.get(f"/ballots/{ballot.id}").get_data(as_text=True)
    auth.logout()
    return page


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "JPEG")
    return out.getvalue()


def test_household_ballot_end_to_end_decides_the_matter(client, auth, tree, people):
    proposal = Proposal(place=tree.b1, author=people.wang, title="加装电梯", body="……", state=ProposalState.accepted,
                        tier=Tier.circle, category=db.session.scalars(select(Category)).first())
    db.session.add(proposal)
    db.session.commit()
    auth.login("moderator")
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "付诸表决" in page
    assert client.get(f"/places/{tree.b1.id}/ballots/new?proposal={proposal.id}").status_code == 200
    assert client.post_form(f"/places/{tree.b1.id}/ballots/new?proposal={proposal.id}", {
        "question": "是否同意加装电梯？", "rule": "simple_majority", "kind": "yes_no", "electorate": "households",
        "secrecy": "named", "max_choices": "1"}).status_code == 302
    ballot = newest()
    assert ballot.proposal_id == proposal.id
    client.post_form(f"/ballots/{ballot.id}/open")
    auth.logout()

    page = vote(client, auth, "13900000001", ballot, "yes")
    assert "您的投票已计入" in page and "您已投票" in page
    page = vote(client, auth, "13900000011", ballot, "no")   # the son of the same household
    assert "您家已经投过票" in page
    vote(client, auth, "13900000002", ballot, "yes")
    vote(client, auth, "13900000003", ballot, "no")
    page = close(client, auth, ballot)
    assert "通过" in page and "赞成票 66.6%，超过 1/2" in page
    assert "按楼栋" not in page   # one building only
    db.session.refresh(proposal)
    assert proposal.state is ProposalState.decided
    assert "赞成票 66.6%" in proposal.events[-1].reason
    # The matter's record words the ballot's explanation in the reader's language.
    auth.login("13900000001")
    client.post_form("/language", {"locale": "en", "next": "/"})
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "votes for 66.6%: more than 1/2" in page and "赞成票 66.6%" not in page
    auth.logout()


def test_choice_ballot_shows_the_chosen_option(client, auth, tree, people):
    ballot = run_ballot(client, auth, tree.b1, question="选哪家物业？", rule="plurality", kind="single",
                        options="甲物业\n乙物业\n丙物业")
    vote(client, auth, "13900000001", ballot, "2")
    vote(client, auth, "13900000002", ballot, "2")
    vote(client, auth, "13900000003", ballot, "1")
    page = close(client, auth, ballot)
    assert "选定：乙物业" in page


def test_multiple_choice_refuses_too_many_marks_and_writes_nothing(client, auth, tree, people):
    ballot = run_ballot(client, auth, tree.b1, question="选出两名楼门长", rule="plurality", kind="multiple",
                        options="王\n张\n赵", max_choices="2", secrecy="secret")
    page = vote(client, auth, "13900000001", ballot, "1", "2", "3")
    assert "最多选择 2 项" in page
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0
    vote(client, auth, "13900000001", ballot, "1", "3")
    assert db.session.scalar(select(BallotBoxEntry.choice)) == "1,3"


def test_bad_draft_is_refused_with_a_message_and_saves_nothing(client, auth, tree, people):
    auth.login("moderator")
    response = draft(client, tree.b1, rule="civil_code_278")   # art. 278 needs the owners electorate
    assert response.status_code == 422 and "业主" in response.get_data(as_text=True)
    response = draft(client, tree.b1, kind="single", rule="plurality", options="只有一个")
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def test_art_278_ballot_explains_both_counts_and_says_when_it_binds(client, auth, tree, people):
    ballot = run_ballot(client, auth, tree.b1, rule="civil_code_278", electorate="owners")
    auth.login("13900000001")
    assert "议事规则" in client.get(f"/ballots/{ballot.id}").get_data(as_text=True)
    auth.logout()
    vote(client, auth, "13900000001", ballot, "yes")
    vote(client, auth, "13900000003", ballot, "yes")
    page = close(client, auth, ballot)
    # 90 + 120 of 270 m² (77.7%), 2 of 3 owners: both at least 2/3; all in favour.
    assert "参与面积 77.7%，达到 2/3" in page and "参与人数 66.6%，达到 2/3" in page and "通过" in page


def test_paper_ballot_takes_the_voters_one_vote(client, auth, tree, people):
    ballot = run_ballot(client, auth, tree.b1)
    voter = db.session.scalar(select(BallotVoter).where(BallotVoter.household_id == people.zhao.memberships[0].household_id))
    auth.login("grid")
    desk = client.get(f"/ballots/{ballot.id}/voters?q=201").get_data(as_text=True)
    assert "赵大妈" in desk and "录入纸质选票" in desk
    response = client.post_form(f"/ballots/{ballot.id}/voters/{voter.id}/paper",
                                {"choice": "no", "witness": "楼门长 孙**"})
    assert response.status_code == 422   # the photo of the signed paper is required
    response = client.post_form(f"/ballots/{ballot.id}/voters/{voter.id}/paper", {
        "choice": "no", "witness": "楼门长 孙**", "photo": (io.BytesIO(photo()), "paper.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    part = db.session.scalars(select(Participation)).one()
    assert part.channel.value == "paper" and part.evidence and part.cast_by_id == people.grid.id
    assert client.get(f"/ballots/{ballot.id}/evidence/{part.evidence}.jpg").status_code == 200
    auth.logout()

    page = vote(client, auth, "13900000003", ballot, "yes")
    assert "已为您录入纸质选票" in page and "您家已经投过票" in page
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1
    auth.login("13900000003")
    assert client.get(f"/ballots/{ballot.id}/evidence/{part.evidence}.jpg").status_code == 403
    assert "纸质选票" in client.get("/inbox").get_data(as_text=True)


def test_online_vote_first_then_paper_is_refused(client, auth, tree, people):
    ballot = run_ballot(client, auth, tree.b1)
    vote(client, auth, "13900000002", ballot, "yes")
    voter = db.session.scalar(select(BallotVoter).join(Participation, Participation.voter_id == BallotVoter.id))
    auth.login("grid")
    response = client.post_form(f"/ballots/{ballot.id}/voters/{voter.id}/paper", {
        "choice": "no", "witness": "楼门长", "photo": (io.BytesIO(photo()), "paper.jpg")},
        content_type="multipart/form-data")
    assert response.status_code in (200, 409)
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1


def test_secret_ballot_receipt_and_published_box(client, auth, tree, people):
    ballot = run_ballot(client, auth, tree.b1, secrecy="secret")
    auth.login("13900000001")
    response = client.post_form(f"/ballots/{ballot.id}/cast", {"choice": ["yes"], "client_key": "k-1"})
    receipt = db.session.scalar(select(BallotBoxEntry.receipt))
    # The answer to the cast shows the receipt, is kept by no cache and sends nowhere.
    assert response.status_code == 200 and receipt in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store" and "Location" not in response.headers
    assert client.get(f"/ballots/{ballot.id}/box").status_code == 404   # nothing published before the count
    assert receipt not in client.get(f"/ballots/{ballot.id}").get_data(as_text=True)   # shown once
    assert client.get(f"/ballots/{ballot.id}/cast").headers["Location"] == f"/ballots/{ballot.id}"
    retry = client.post_form(f"/ballots/{ballot.id}/cast", {"choice": ["yes"], "client_key": "k-1"},
                             follow_redirects=True)
    assert "您的投票已计入" in retry.get_data(as_text=True) and receipt not in retry.get_data(as_text=True)
    auth.logout()
    # Nothing the voter left behind names the choice: not the participation, not the audit log.
    assert db.session.scalar(select(Participation.choice)) is None
    from consult.audit.models import AuditEntry

    details = [str(e.detail) for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action == "ballot.cast"))]
    assert details and not any("yes" in d or receipt in d for d in details)
    close(client, auth, ballot)
    auth.login("13900000002")
    assert receipt in client.get(f"/ballots/{ballot.id}/box").get_data(as_text=True)   # the whole box
    found = client.post_form(f"/ballots/{ballot.id}/box", {"receipt": receipt.upper()})
    assert found.status_code == 200 and found.headers["Cache-Control"] == "no-store"
    assert receipt in found.get_data(as_text=True) and "赞成" in found.get_data(as_text=True)
    missing = client.post_form(f"/ballots/{ballot.id}/box", {"receipt": "0" * 32}).get_data(as_text=True)
    assert receipt not in missing and "没有这个回执号的选票" in missing
    assert client.get(f"/ballots/{ballot.id}/signed-list.csv").status_code == 403


def test_no_address_ever_carries_a_receipt(client, auth, tree, people):
    """Neither a redirect after casting nor a link on any page that follows puts a
    receipt into an address, where a browser's history and a server's logs keep it."""
    secret = run_ballot(client, auth, tree.b1, secrecy="secret")
    named = run_ballot(client, auth, tree.b1)
    responses = []
    for phone, ballot in (("13900000001", secret), ("13900000002", secret), ("13900000001", named)):
        auth.login(phone)
        response = client.post_form(f"/ballots/{ballot.id}/cast", {"choice": ["no"]}, follow_redirects=True)
        responses += [*response.history, response]
        responses.append(client.get(f"/ballots/{ballot.id}"))
        auth.logout()
    close(client, auth, secret)
    auth.login("13900000003")
    responses.append(client.get(f"/ballots/{secret.id}/box"))
    receipts = db.session.scalars(select(BallotBoxEntry.receipt)).all() + \
        [r for r in db.session.scalars(select(Participation.receipt)) if r]
    assert len(receipts) == 3
    for response in responses:
        addresses = [response.request.url, response.headers.get("Location", ""),
                     *re.findall(r'(?:href|action|src)="([^"]*)"', response.get_data(as_text=True))]
        assert not any(r in a for r in receipts for a in addresses), response.request.url


def test_resident_of_another_building_or_community_sees_nothing(client, auth, tree, people, make_household,
                                                                make_user):
    make_user("孙阿姨", phone="13900000005", household=make_household(tree.b2, "101"))
    ballot = run_ballot(client, auth, tree.b1)
    auth.login("13900000001")
    assert "是否同意加装电梯" in client.get("/").get_data(as_text=True)   # on the home page: voting now
    auth.logout()
    auth.login("13900000005")   # building 2, same compound
    assert client.get(f"/ballots/{ballot.id}").status_code == 404
    assert client.post_form(f"/ballots/{ballot.id}/cast", {"choice": "yes"}).status_code == 404
    assert "是否同意加装电梯" not in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login("13900000004")
    assert client.get(f"/ballots/{ballot.id}").status_code == 404
    assert client.post_form(f"/ballots/{ballot.id}/cast", {"choice": "yes"}).status_code == 404
    assert "是否同意加装电梯" not in client.get("/ballots/").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0


def test_ballot_over_a_period_opens_and_closes_by_itself(client, auth, tree, people, app):
    auth.login("moderator")
    soon = (utcnow() + timedelta(hours=8, minutes=1)).strftime("%Y-%m-%dT%H:%M")   # Beijing time
    week = (utcnow() + timedelta(days=7, hours=8)).strftime("%Y-%m-%dT%H:%M")
    assert draft(client, tree.b1, opens_at=soon, closes_at=week).status_code == 302
    ballot = newest()
    assert ballot.state is BallotState.draft and ballot.closes_at - ballot.opens_at > timedelta(days=6)
    auth.logout()
    ballot.opens_at = utcnow() - timedelta(minutes=1)     # the hour has come
    db.session.commit()
    page = vote(client, auth, "13900000001", ballot, "yes")
    assert "您的投票已计入" in page
    ballot = db.session.get(Ballot, ballot.id)
    ballot.closes_at = utcnow() - timedelta(seconds=1)    # the week is over
    db.session.commit()
    page = vote(client, auth, "13900000002", ballot, "yes")
    assert "结果" in page and "通过" in page
    assert db.session.get(Ballot, ballot.id).state is BallotState.closed
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1


def test_attendees_ballot_with_a_sign_in_list(client, auth, tree, people):
    auth.login("moderator")
    draft(client, tree.fc, question="推选议事代表", electorate="attendees")
    ballot = newest()
    response = client.post_form(f"/ballots/{ballot.id}/open", {"attendees": "13900000001\n13999999999"},
                                follow_redirects=True)
    # The flash quotes the number the moderator typed: theirs, in full.
    assert "13999999999" in response.get_data(as_text=True) and newest().state is BallotState.draft
    client.post_form(f"/ballots/{ballot.id}/open", {"attendees": "13900000001\n13900000009\n"})
    assert newest().state is BallotState.open
    auth.logout()
    assert "您的投票已计入" in vote(client, auth, "13900000009", ballot, "yes")   # an expert from outside
    assert "不在这次表决的投票人范围内" in vote(client, auth, "13900000002", ballot, "yes")


def test_signed_list_csv_for_the_paper_file(client, auth, tree, people):
    ballot = run_ballot(client, auth, tree.b1)
    vote(client, auth, "13900000001", ballot, "yes")
    auth.login("moderator")
    response = client.get(f"/ballots/{ballot.id}/signed-list.csv")
    text = response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8" and text.startswith("\ufeff")
    assert "王秀英" in text and "赞成" in text and "90.00" in text
    assert len(text.strip().splitlines()) == 1 + 3   # a line per household of the building


def test_signed_list_pdf_prints_the_chinese_record(client, auth, tree, people, tmp_path):
    from tests.conftest import service_missing

    try:
        import weasyprint  # noqa: F401
    except OSError:
        service_missing("Pango, for PDF export (Debian: libpango-1.0-0 libpangoft2-1.0-0)")
    from pypdf import PdfReader

    ballot = run_ballot(client, auth, tree.b1, question="是否同意加装电梯？")
    vote(client, auth, "13900000001", ballot, "yes")
    close(client, auth, ballot)
    auth.login("moderator")
    response = client.get(f"/ballots/{ballot.id}/signed-list.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (tmp_path / "list.pdf").write_bytes(response.data)
    text = PdfReader(tmp_path / "list.pdf").pages[0].extract_text()
    assert "是否同意加装电梯" in text and "王秀英" in text and "签字" in text and "赞成" in text
    assert "13900000001" not in text   # never a phone number
    auth.logout()
    auth.login("13900000001")
    assert client.get(f"/ballots/{ballot.id}/signed-list.pdf").status_code == 403


def test_closing_before_the_announced_time_asks_for_a_reason_that_stays_on_the_record(client, auth, tree, people):
    from consult.audit.models import AuditEntry

    auth.login("moderator")
    client.post_form(f"/places/{tree.b1.id}/ballots/new", {
        "question": "是否同意更换门禁？", "rule": "simple_majority", "kind": "yes_no", "electorate": "households",
        "secrecy": "named", "max_choices": "1", "closes_at": "2099-12-23T14:00"})
    ballot = db.session.scalars(select(Ballot).order_by(Ballot.id.desc())).first()
    client.post_form(f"/ballots/{ballot.id}/open")
    asked = client.post_form(f"/ballots/{ballot.id}/close").get_data(as_text=True)
    assert 'name="reason"' in asked and "2099" in asked
    refused = client.post_form(f"/ballots/{ballot.id}/close", {"confirmed": "1", "reason": "  "})
    assert refused.status_code == 422 and "请写明提前结束的理由" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Ballot, ballot.id).state is BallotState.open
    client.post_form(f"/ballots/{ballot.id}/close", {"confirmed": "1", "reason": "业主大会临时决定提前计票"})
    db.session.expire_all()
    closed = db.session.get(Ballot, ballot.id)
    assert closed.state is BallotState.closed and closed.result["early_reason"] == "业主大会临时决定提前计票"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "ballot.close")).one()
    assert entry.detail["reason"] == "业主大会临时决定提前计票"
    assert "业主大会临时决定提前计票" in client.get(f"/ballots/{ballot.id}").get_data(as_text=True)


def test_the_paper_desk_finds_an_address_a_name_or_a_mobile_in_address_order(client, auth, tree, people,
                                                                              make_household, make_user):
    make_user("钱阿姨", phone="13900000021", household=make_household(tree.e2, "1201"))
    make_user("孙大爷", phone="13900000022", household=make_household(tree.b1, "1302"))
    for electorate in ("households", "owners"):
        ballot = run_ballot(client, auth, tree.b1, electorate=electorate)
        auth.login("grid")

        def desk(q=""):
            page = client.get(f"/ballots/{ballot.id}/voters", query_string={"q": q}).get_data(as_text=True)
            return re.findall(r'<span class="who">(.*?)</span>', page)

        rows = desk()
        # Entrance 1 before entrance 2, rooms as numbers (201 before 1201), each row by its address.
        assert [r.split(" ")[-2] for r in rows] == ["1302", "101", "102", "201", "1201"], rows
        assert len(desk("201")) == 1 and "赵大妈" in desk("201")[0]
        assert "钱阿姨" in desk("2单元1201")[0] and len(desk("2单元1201")) == 1
        # Each row reads its address inside the ballot's building, not the whole address.
        assert desk("1号楼1单元102")[0].startswith("1单元 102 ")
        assert desk("3单元102") == []
        assert "张建国" in desk("张建国")[0]
        assert "赵大妈" in desk("13900000003")[0]
        auth.logout()


def test_the_paper_form_names_every_missing_part_at_once(client, auth, tree, people):
    ballot = run_ballot(client, auth, tree.b1)
    voter = db.session.scalars(select(BallotVoter)).first()
    auth.login("grid")
    response = client.post_form(f"/ballots/{ballot.id}/voters/{voter.id}/paper", {"witness": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请按签字的纸质选票勾选投票内容" in page and "纸质选票的照片" in page and page.count('class="error"') >= 3


def test_the_breakdown_names_buildings_from_below_the_ballots_place(client, auth, tree, people, make_household,
                                                                      make_user):
    make_user("周先生", phone="13900000031", household=make_household(tree.b2, "301"))
    ballot = run_ballot(client, auth, tree.fc)
    vote(client, auth, "13900000001", ballot, "yes")
    close(client, auth, ballot)
    names = [b["building"] for b in db.session.get(Ballot, ballot.id).result["buildings"]]
    assert names == ["富成花园北区 1号楼", "富成花园北区 2号楼"]
