"""The evidence pack and the pages of the staged result: the record the owners object to,
the staff's answers, the notice of the final result, the compliance check, and a pack
whose manifest holds — and which, for a secret ballot, never links a voter to a choice."""
import csv
import hashlib
import io
import zipfile
from datetime import datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from consult import domains
from consult.accounts.models import Role
from consult.clock import travel_to
from consult.database import unit_of_work
from consult.extensions import db
from consult.places.models import Relation
from consult.voting import evidence, results
from consult.voting import service as voting
from consult.voting.models import (
    Ballot,
    BallotBoxEntry,
    BallotObjection,
    BallotVoter,
    Choice,
    Electorate,
    ObjectionState,
    Participation,
    ResultStage,
    Secrecy,
)

from .test_pages import photo

T0 = datetime(2026, 3, 2, 1, 0)


@pytest.fixture
def people(tree, make_household, make_user):
    return type("People", (), dict(
        a=make_user("甲业主", phone="13900000101", household=make_household(tree.e1, "101", "90.00")),
        b=make_user("乙业主", phone="13900000102", household=make_household(tree.e1, "102", "60.00")),
        c=make_user("丙业主", phone="13900000103", household=make_household(tree.e2, "201", "120.00")),
        moderator=make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc),
        grid=make_user("陈网格员", username="grid", role=Role.grid_worker, place=tree.b1),
    ))


def closed_owners_ballot(tree, people, secrecy=Secrecy.named):
    with travel_to(T0):
        with unit_of_work():
            b = voting.draft_ballot(tree.b1, actor=people.moderator, question="是否同意更换电梯？",
                                    electorate=Electorate.owners, secrecy=secrecy, rule="civil_code_278")
        with unit_of_work():
            voting.open_ballot(b, actor=people.moderator)
        receipts = {}
        for who, choice in ((people.a, Choice.yes), (people.b, Choice.no)):
            with unit_of_work():
                receipts[who.id] = voting.cast(b, actor=who, choice=choice)
        if secrecy is Secrecy.named:
            voter = db.session.scalar(select(BallotVoter).where(BallotVoter.user_id == people.c.id))
            with unit_of_work():
                voting.enter_paper(b, voter, actor=people.grid, choice=Choice.yes, photo=photo(),
                                   witness="楼门长 孙**", config=current_app.config)
        with unit_of_work():
            voting.close_ballot(b, actor=people.moderator)
    return b, receipts


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_staged_result_through_the_pages(client, auth, tree, people, make_user, make_household):
    b, _receipts = closed_owners_ballot(tree, people)
    auth.login("13900000102")
    voter = db.session.scalar(select(BallotVoter).where(BallotVoter.user_id == people.c.id))
    with travel_to(T0 + timedelta(days=1)):
        page = client.get(f"/ballots/{b.id}").get_data(as_text=True)
        assert "这是初步结果" in page and f"/ballots/{b.id}/record" in page
        record = client.get(f"/ballots/{b.id}/record").get_data(as_text=True)
        assert "1单元 101" in record and "90.00" in record and "赞成" in record and "甲业主" not in record
        assert client.post_form(f"/ballots/{b.id}/objections", {"voter": voter.id, "reason": ""}).status_code == 422
        response = client.post_form(f"/ballots/{b.id}/objections", {"voter": voter.id,
                                                                    "reason": "纸质票上写的是反对"})
    assert response.status_code == 302
    objection = db.session.scalars(select(BallotObjection)).one()
    auth.logout()

    auth.login("moderator")
    with travel_to(T0 + timedelta(days=2)):
        record = client.get(f"/ballots/{b.id}/record").get_data(as_text=True)
        assert "纸质票上写的是反对" in record and f'name="o{objection.id}-answer"' in record
        client.post_form(f"/ballots/{b.id}/objections/{objection.id}/answer", {
            f"o{objection.id}-decision": "upheld", f"o{objection.id}-answer": "核对照片，确为反对",
            f"o{objection.id}-correction": "choice", f"o{objection.id}-choice": "no"})
    db.session.refresh(objection)
    assert objection.state is ObjectionState.upheld and objection.correction == {"choice": "no"}
    with travel_to(T0 + timedelta(days=7, minutes=1)):
        # The page finds the final result due and announces it.
        page = client.get(f"/ballots/{b.id}").get_data(as_text=True)
        assert "最终结果" in page and "计为：反对" in page
        db.session.expire_all()
        assert db.session.get(Ballot, b.id).stage is ResultStage.final
        notice = client.get(f"/ballots/{b.id}/final-notice.pdf")
        assert notice.status_code == 200 and notice.data.startswith(b"%PDF")
        compliance = client.get(f"/ballots/{b.id}/compliance").get_data(as_text=True)
        assert "每项异议均已书面答复" in compliance and "最终结果已公告" in compliance
    auth.logout()
    auth.login("13900000101")
    assert client.get(f"/ballots/{b.id}/evidence.zip").status_code == 403
    auth.logout()
    # The record is the owners': a tenant of the building reads the result, not the record.
    tenant = make_user("租户", phone="13900000109", household=make_household(tree.e1, "103"),
                       relation=Relation.tenant)
    auth.login(tenant.phone)
    page = client.get(f"/ballots/{b.id}").get_data(as_text=True)
    assert "最终结果" in page and f"/ballots/{b.id}/record" not in page
    assert client.get(f"/ballots/{b.id}/record").status_code == 403
    assert client.get(f"/ballots/{b.id}/compliance").status_code == 403


def test_an_owner_whose_vote_is_missing_objects_to_their_own_entry(client, auth, tree, people, make_household,
                                                                     make_user):
    late = make_user("丁业主", phone="13900000104", household=make_household(tree.e2, "202", "80.00"))
    b, _receipts = closed_owners_ballot(tree, people)
    auth.login(late.phone)
    with travel_to(T0 + timedelta(days=1)):
        record = client.get(f"/ballots/{b.id}/record").get_data(as_text=True)
        assert "没有记录到表决票" in record and "2单元 202" in record
        mine = db.session.scalar(select(BallotVoter).where(BallotVoter.user_id == late.id))
        client.post_form(f"/ballots/{b.id}/objections", {"voter": mine.id, "reason": "我已投纸质票，记录中没有"})
    assert db.session.scalars(select(BallotObjection.voter_id)).all() == [mine.id]


def test_the_named_pack_holds_every_record_and_its_manifest(client, auth, tree, people):
    b, _receipts = closed_owners_ballot(tree, people)
    auth.login("moderator")
    with travel_to(T0 + timedelta(days=1)):
        response = client.get(f"/ballots/{b.id}/evidence.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    files = unzip(response.data)
    assert {"voting/ballot.json", "voting/records.csv", "voting/result-preliminary.json", "voting/objections.csv",
            "compliance.csv", "summary.pdf", "MANIFEST.sha256"} <= set(files)
    manifest = dict(reversed(line.split("  ", 1)) for line in files["MANIFEST.sha256"].decode().splitlines())
    assert set(manifest) == set(files) - {"MANIFEST.sha256"}
    assert all(hashlib.sha256(files[path]).hexdigest() == digest for path, digest in manifest.items())
    table = rows(files["voting/records.csv"])
    paper = [r for r in table if "纸质选票" in r]
    assert len(paper) == 1 and "楼门长 孙**" in paper[0] and paper[0][8].startswith("voting/photos/")
    assert paper[0][8] in files and files[paper[0][8]][:2] == b"\xff\xd8"
    assert len(table[0]) == 10 and [r[-1] for r in table[1:]] == ["赞成", "反对", "赞成"]
    assert files["summary.pdf"].startswith(b"%PDF")
    check = rows(files["compliance.csv"])
    assert ["最终结果已公告", "未满足"] in [row[:2] for row in check]


def test_a_secret_pack_never_links_a_voter_to_a_choice(app, tree, people):
    b, receipts = closed_owners_ballot(tree, people, secrecy=Secrecy.secret)
    with app.test_request_context():
        files = unzip(evidence.build_pack(b))
    box = rows(files["voting/box.csv"])
    assert box[0] == ["回执号", "投票"] and sorted(r[0] for r in box[1:]) == sorted(receipts.values())
    records = rows(files["voting/records.csv"])
    assert len(records[0]) == 9   # no column of votes: the named record has a tenth
    for path, content in files.items():
        text = content.decode("utf-8", "replace")
        if path == "voting/box.csv":
            # Receipt and vote, nothing else: no unit, area, name or time.
            assert all(len(r) == 2 for r in box) and "单元" not in text and "90.00" not in text
            continue
        assert not any(r in text for r in receipts.values()), f"{path} holds a receipt"
        if path in ("voting/records.csv", "voting/objections.csv"):
            assert "赞成" not in text and "反对" not in text, f"{path} holds a vote"
    # The results hold totals only.
    assert "buildings" in files["voting/result-preliminary.json"].decode() and \
        b.result["buildings"] == []
    assert len(db.session.scalars(select(BallotBoxEntry)).all()) == 2
    assert all(p.choice is None for p in db.session.scalars(select(Participation)))


def test_other_domains_contribute_files_and_requirements(app, tree, people, monkeypatch):
    b, _receipts = closed_owners_ballot(tree, people)

    def register(ballot):
        return ([evidence.EvidenceFile("owners/register.csv", "单元,面积\n".encode(), "业主名册")],
                [evidence.Requirement("名册公示七日", True, T0, "无异议")])
    monkeypatch.setattr(domains, "evidence_sources", lambda: [*[d.evidence for d in domains.declared()
                                                                if d.evidence], register])
    with app.test_request_context():
        files = unzip(evidence.build_pack(b))
        reqs = evidence.compliance(b)
    assert files["owners/register.csv"] == "单元,面积\n".encode()
    assert "owners/register.csv" in files["MANIFEST.sha256"].decode()
    assert reqs[-1].label == "名册公示七日" and reqs[0].met
    assert any(r.label.startswith("业主可在 7 天内") for r in reqs)


def test_the_pack_is_for_owners_decisions_and_their_staff(client, auth, tree, people):
    auth.login("moderator")
    with unit_of_work():
        b = voting.draft_ballot(tree.b1, actor=people.moderator, question="是否同意？",
                                electorate=Electorate.households, secrecy=Secrecy.named, rule="simple_majority")
    assert client.get(f"/ballots/{b.id}/evidence.zip").status_code == 404
    assert client.get(f"/ballots/{b.id}/record").status_code == 404
    assert not results.staged(b)
