"""Minutes: the draft written from the event log, editing, signing and the hash, the
publicity period with objections, archiving, corrections."""
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from consult import clock
from consult.errors import InvalidInput, InvalidTransition, NotAllowed
from consult.extensions import db
from consult.meetings.models import MeetingEvent
from consult.minutes import service as minutes
from consult.minutes.models import MinutesState, MinutesVersion, RemarkKind, StatementDetail
from consult.notifications.models import Notification

from .conftest import run


def test_the_meeting_ending_drafts_minutes_with_every_event(ended):
    record = minutes.minutes_of(ended.meeting)
    assert record.state is MinutesState.draft and [s.user_id for s in record.signers] == [ended.cast.moderator.id]
    body = record.latest.body
    events = db.session.scalars(select(MeetingEvent).where(MeetingEvent.meeting_id == ended.meeting.id)).all()
    proceedings = body.split("### 会议过程", 1)[1].strip().splitlines()
    assert len(proceedings) == len(events) == ended.meeting.last_seq
    for line, event in zip(proceedings, sorted(events, key=lambda e: e.seq)):
        assert event.kind not in line, line          # every kind has words, none falls through
    for words in ("1号楼", "线上线下结合", "李书记", "王**", "张**", "赵**", "周律师", "加装电梯方案", "费用分摊",
                  "一楼住户担心电梯噪音", "采用北侧方案，报街道审批", "是否同意北侧加装电梯方案", "通过",
                  "赞成 3", "反对 1", "提交加装电梯审批材料", "富成物业", "举手", "发言权", "暂停"):
        assert words in body, words
    assert "低价装修" not in body and "13912345678" not in body and "王秀英" not in body
    assert "139****5678" in body or "13912345678" not in body


def test_full_statements_and_phone_numbers_never_appear(ended):
    record = minutes.minutes_of(ended.meeting)
    run(minutes.redraft, record, actor=ended.cast.moderator, statements=StatementDetail.full)
    body = record.latest.body
    assert "加装电梯须经专有部分面积和人数双三分之二参与表决。" in body and "费用按楼层分摊，高层多出。" in body
    assert "139****5678" in body and "13912345678" not in body
    assert "已隐藏" in body and "与议题无关" in body and "低价装修" not in body
    run(minutes.edit, record, actor=ended.cast.moderator, title="纪要", body=body + "\n联系人 139 1234 5678")
    assert "139 1234 5678" not in record.latest.body and "139****5678" in record.latest.body


def test_only_the_recorder_or_a_moderator_writes_and_only_signers_sign(ended):
    record = minutes.minutes_of(ended.meeting)
    with pytest.raises(NotAllowed):
        run(minutes.edit, record, actor=ended.cast.wang, title="x", body="y")
    with pytest.raises(InvalidInput):
        run(minutes.edit, record, actor=ended.cast.moderator, title="纪要", body="   ")
    with pytest.raises(InvalidInput):
        run(minutes.name_representatives, record, actor=ended.cast.moderator, people=[ended.cast.outsider])
    run(minutes.name_representatives, record, actor=ended.cast.moderator, people=[ended.cast.wang, ended.cast.zhao])
    run(minutes.submit, record, actor=ended.cast.moderator)
    with pytest.raises(NotAllowed):
        run(minutes.sign, record, actor=ended.cast.zhang)
    with pytest.raises(InvalidTransition):
        run(minutes.edit, record, actor=ended.cast.moderator, title="纪要", body="改")
    assert db.session.scalar(select(Notification).where(Notification.user_id == ended.cast.wang.id,
                                                        Notification.kind == "minutes.sign")) is not None


def sign_all(record, ended, people=None):
    people = people or [ended.cast.wang]
    run(minutes.name_representatives, record, actor=ended.cast.moderator, people=people)
    run(minutes.submit, record, actor=ended.cast.moderator)
    for person in [ended.cast.moderator, *people]:
        run(minutes.sign, record, actor=person)


def test_signed_minutes_are_frozen_with_a_hash_and_never_change(app, ended):
    record = minutes.minutes_of(ended.meeting)
    run(minutes.edit, record, actor=ended.cast.moderator, title="1号楼加装电梯协商会纪要", body="### 决定\n\n- 采用北侧方案")
    run(minutes.name_representatives, record, actor=ended.cast.moderator, people=[ended.cast.wang])
    run(minutes.submit, record, actor=ended.cast.moderator)
    run(minutes.sign, record, actor=ended.cast.moderator)
    assert record.latest.sha256 is None and record.state is MinutesState.signing
    run(minutes.sign, record, actor=ended.cast.wang)
    version = record.current
    assert record.state is MinutesState.publicity and len(version.sha256) == 64 and minutes.verify(version)
    assert record.publicity_ends_at == record.published_at + timedelta(days=app.config["MINUTES_PUBLICITY_DAYS"])
    with pytest.raises(InvalidTransition):
        run(minutes.edit, record, actor=ended.cast.moderator, title="x", body="y")
    # Not through the ORM …
    version.body = "篡改"
    with pytest.raises(RuntimeError):
        db.session.commit()
    db.session.rollback()
    # … nor in the database itself.
    with pytest.raises(Exception):
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE minutes_versions SET body = 'x' WHERE id = :id"), {"id": version.id})
    with pytest.raises(Exception):
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM minutes_versions WHERE id = :id"), {"id": version.id})
    db.session.expire_all()
    assert db.session.get(MinutesVersion, version.id).body == "### 决定\n\n- 采用北侧方案" and minutes.verify(version)
    with db.session.no_autoflush:
        version.body = "### 决定\n\n- 采用南侧方案"      # as a forger would leave it: the hash no longer verifies
        assert not minutes.verify(version)
    db.session.rollback()


def test_publicity_objections_answers_and_archiving(ended):
    record = minutes.minutes_of(ended.meeting)
    sign_all(record, ended)
    with pytest.raises(NotAllowed):
        run(minutes.remark, record, actor=ended.cast.outsider, kind=RemarkKind.objection, body="我反对")
    objection = run(minutes.remark, record, actor=ended.cast.zhang, kind=RemarkKind.objection,
                    body="表决时我投了反对，纪要应写明理由")
    run(minutes.remark, record, actor=ended.cast.zhao, kind=RemarkKind.comment, body="同意")
    clock.advance(days=8)
    assert run(minutes.archive_due) == 0 and record.state is MinutesState.publicity   # an objection is open
    with pytest.raises(NotAllowed):
        run(minutes.answer, objection, actor=ended.cast.wang, body="x")
    run(minutes.answer, objection, actor=ended.cast.moderator, body="已在更正版中补充")
    assert run(minutes.archive_due) == 1 and record.state is MinutesState.archived
    with pytest.raises(InvalidTransition):
        run(minutes.remark, record, actor=ended.cast.zhang, kind=RemarkKind.comment, body="晚了")


def test_a_correction_is_a_new_version_with_its_own_hash_and_a_diff(ended):
    record = minutes.minutes_of(ended.meeting)
    run(minutes.edit, record, actor=ended.cast.moderator, title="纪要", body="第一行\n表决：同意 3，反对 1\n第三行")
    sign_all(record, ended)
    first = record.current
    with pytest.raises(InvalidInput):
        run(minutes.correct, record, actor=ended.cast.moderator, reason="")
    second = run(minutes.correct, record, actor=ended.cast.moderator, reason="补充反对理由")
    run(minutes.edit, record, actor=ended.cast.moderator, title="纪要",
        body="第一行\n表决：同意 3，反对 1（张**：费用过高）\n第三行")
    assert record.current is first                         # residents read the signed one meanwhile
    run(minutes.submit, record, actor=ended.cast.moderator)
    for person in (ended.cast.moderator, ended.cast.wang):
        run(minutes.sign, record, actor=person)
    assert record.current is second and record.state is MinutesState.publicity
    assert first.sha256 != second.sha256 and minutes.verify(first) and minutes.verify(second)
    assert first.body.startswith("第一行\n表决：同意 3，反对 1\n")
    changes = minutes.diff(first, second)
    assert ("removed", "表决：同意 3，反对 1") in changes and ("added", "表决：同意 3，反对 1（张**：费用过高）") in changes
    assert ("same", "第一行") in changes


def test_signed_minutes_are_found_by_a_two_character_word_and_ranked(ended, tree):
    from consult.search import service as search

    record = minutes.minutes_of(ended.meeting)
    assert not [h for h in search.search(tree.b1, "电梯", viewer=ended.cast.zhao).hits if h.kind.name == "minutes"]
    sign_all(record, ended)
    hits = search.search(tree.b1, "电梯", viewer=ended.cast.zhao).hits
    kinds = [h.kind.name for h in hits]
    found = hits[kinds.index("minutes")]
    assert found.doc_id == record.id and found.score > 0 and "<mark>电梯</mark>" in found.title
    assert "<mark>电梯</mark>" in found.snippet and "13912345678" not in found.snippet
    assert [h.doc_id for h in search.search(tree.b1, "北侧 方案", viewer=ended.cast.zhao, kinds=["minutes"]).hits] \
        == [record.id]
    from consult.errors import NotAllowed

    with pytest.raises(NotAllowed):                 # another community is not theirs to read
        search.search(tree.jm, "电梯", viewer=ended.cast.zhao, kinds=["minutes"])


def test_the_attendance_line_counts_each_person_once(ended):
    from consult.minutes import service as minutes_service

    body = minutes_service.minutes_of(ended.meeting).latest.body
    line = next(text for text in body.splitlines() if "应到" in text or "到会" in text)
    # The invitees who came, then anyone else who came: the numbers add up to who signed in.
    import re
    numbers = [int(n) for n in re.findall(r"(\d+) 人", line)]
    assert "签到" not in line and len(numbers) in (2, 3)
    assert numbers[1] <= numbers[0]
    assert numbers[1] + (numbers[2] if len(numbers) == 3 else 0) == 4   # 王, 张, 赵 and the expert
