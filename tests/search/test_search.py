"""Searching through the service: Chinese and English, ranking, the place subtree, the
filters and pages, an index kept in the changing transaction, and rebuilding it."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from consult import clock
from consult.accounts.models import Organisation, OrganisationKind, OrganisationMember
from consult.database import unit_of_work
from consult.errors import InvalidInput
from consult.extensions import db
from consult.meetings import service as meetings
from consult.meetings.models import MeetingForm, MeetingKind, Quorum
from consult.motions import service as motions
from consult.proposals import service as proposals
from consult.proposals.models import Category, Proposal, ProposalState, Tier
from consult.search import index, search
from consult.search.models import SearchDocument
from consult.voting import service as voting
from consult.voting.models import BallotKind, Electorate, Secrecy

from .conftest import T0


def found(place, query, viewer, **filters):
    return [(hit.kind.name, hit.doc_id) for hit in search(place, query, viewer=viewer, **filters).hits]


def titles(place, query, viewer, **filters):
    return [str(hit.title) for hit in search(place, query, viewer=viewer, **filters).hits]


@pytest.fixture
def live_meeting(tree, people):
    """A circle council on building 1, in session, with 王 signed in."""
    with unit_of_work():
        meeting = meetings.schedule(tree.b1, actor=people.moderator, title="1号楼加装电梯协商会",
                                    kind=MeetingKind.circle, form=MeetingForm.hybrid,
                                    starts_at=clock.utcnow() + timedelta(hours=1), location="社区议事厅",
                                    quorum=Quorum.none, invite_residents=True, free_items=["加装电梯方案"])
    with unit_of_work():
        meetings.sign_in(meeting, actor=people.wang)
    with unit_of_work():
        meetings.change_state(meeting, "start", actor=people.moderator)
    return meeting


def say(meeting, person, body):
    with unit_of_work():
        return meetings.post_statement(meeting, actor=person, body=body)


# --- finding ------------------------------------------------------------------------------------

def test_a_two_character_word_is_found_in_a_proposal_and_in_a_statement(tree, people, live_meeting):
    category = db.session.scalars(select(Category)).first()
    with unit_of_work():
        proposal = proposals.raise_proposal(tree.b1, actor=people.wang, title="楼道灯不亮",
                                            body="二单元的**电梯**三天没修好了", category=category)
    statement = say(live_meeting, people.wang, "我同意加装电梯，但要考虑一楼采光。")
    assert set(found(tree.sub, "电梯", people.wang)) == {("proposal", proposal.id), ("statement", statement.id)}
    hits = {hit.kind.name: hit for hit in search(tree.sub, "电梯", viewer=people.wang).hits}
    assert str(hits["proposal"].snippet) == "二单元的<mark>电梯</mark>三天没修好了"   # Markdown marks left out
    assert hits["statement"].caption == "1号楼加装电梯协商会"


def test_part_of_a_longer_word_is_found_and_reversed_characters_are_not(tree, people, propose):
    proposal = propose(tree.b1, "小区充电桩太少", "电动车只能在楼道里充电，很危险。")
    assert found(tree.sub, "充电", people.wang) == [("proposal", proposal.id)]
    assert found(tree.sub, "充电桩", people.wang) == [("proposal", proposal.id)]
    assert found(tree.sub, "电充", people.wang) == []
    propose(tree.b1, "电梯坏了")
    assert found(tree.sub, "梯电", people.wang) == []


def test_all_words_must_match(tree, people, propose):
    both = propose(tree.b1, "电梯漏水", "雨天电梯井漏水")
    propose(tree.b1, "电梯噪音")
    assert found(tree.sub, "电梯 漏水", people.wang) == [("proposal", both.id)]
    assert found(tree.sub, "漏水，电梯", people.wang) == [("proposal", both.id)]


def test_a_single_character_finds_the_words_it_begins(tree, people, propose):
    lift = propose(tree.b1, "电梯坏了")
    propose(tree.b1, "停车难")
    assert found(tree.sub, "电", people.wang) == [("proposal", lift.id)]


def test_english_words_case_and_width_insensitively(tree, people, propose):
    lift = propose(tree.b1, "Broken lift", "The ELEVATOR in Building 1 has stopped again.")
    propose(tree.b1, "Uplifting news", "Elevators are fine elsewhere.")
    for query in ("elevator", "Elevator", "ＥＬＥＶＡＴＯＲ", "building 1"):
        assert found(tree.sub, query, people.wang) == [("proposal", lift.id)], query
    assert str(search(tree.sub, "lift", viewer=people.wang).hits[0].title) == "Broken <mark>lift</mark>"


def test_more_mentions_and_the_title_rank_higher(tree, people, propose):
    once = propose(tree.b1, "楼道杂物", "楼道堆放杂物，还有人说漏水的事也要管一管。", at=T0 + timedelta(days=1))
    often = propose(tree.b1, "顶楼漏水", "每逢下雨就漏水，墙面也因为漏水发霉。", at=T0)
    assert found(tree.sub, "漏水", people.wang) == [("proposal", often.id), ("proposal", once.id)]
    scores = [hit.score for hit in search(tree.sub, "漏水", viewer=people.wang).hits]
    assert scores[0] > scores[1] > 0


def test_the_search_stays_in_the_place_and_below(tree, people, propose):
    here = propose(tree.b1, "1号楼电梯")
    entrance = propose(tree.e2, "2单元电梯")
    next_door = propose(tree.b2, "2号楼电梯", author=people.liu)
    elsewhere = propose(tree.jb, "嘉铭园电梯", author=people.chen)
    assert set(found(tree.b1, "电梯", people.wang)) == {("proposal", here.id), ("proposal", entrance.id)}
    assert set(found(tree.north, "电梯", people.wang)) == {("proposal", p.id) for p in (here, entrance, next_door)}
    # The next community's matters are its own (READ_SCOPE "community").
    assert len(found(tree.sub, "电梯", people.wang)) == 3
    assert found(tree.jm, "电梯", people.chen) == [("proposal", elsewhere.id)]
    assert ("proposal", elsewhere.id) in found(tree.sub, "电梯", people.chen)


def test_kind_tier_and_date_filters(tree, people, propose, live_meeting):
    home = propose(tree.b1, "电梯按钮", tier=Tier.home, at=datetime(2025, 3, 1, 4))
    platform = propose(tree.b1, "电梯更新", tier=Tier.platform, at=datetime(2025, 5, 31, 16, 30))  # 6-1 00:30 in Beijing
    statement = say(live_meeting, people.wang, "电梯的事要快办")
    assert found(tree.sub, "电梯", people.wang, kinds=["statement"]) == [("statement", statement.id)]
    assert found(tree.sub, "电梯", people.wang, tier=Tier.platform) == [("proposal", platform.id)]
    assert found(tree.sub, "电梯", people.wang, tier="home") == [("proposal", home.id)]
    assert found(tree.sub, "电梯", people.wang, kinds=["proposal"], start=date(2025, 6, 1)) == \
        [("proposal", platform.id)]
    assert found(tree.sub, "电梯", people.wang, kinds=["proposal"], end=date(2025, 5, 31)) == \
        [("proposal", home.id)]
    assert found(tree.sub, "电梯", people.wang, start=date(2025, 3, 1), end=date(2025, 3, 1)) == \
        [("proposal", home.id)]


def test_pages(tree, people, propose):
    made = [propose(tree.b1, f"停车位第{i}号", at=T0 + timedelta(hours=i)) for i in range(7)]
    newest_first = [("proposal", p.id) for p in reversed(made)]   # equal scores: the newest first
    first = search(tree.sub, "停车", viewer=people.wang, per_page=3)
    assert (first.total, first.pages, first.page) == (7, 3, 1)
    pages = [found(tree.sub, "停车", people.wang, per_page=3, page=n) for n in (1, 2, 3)]
    assert sum(pages, []) == newest_first
    assert search(tree.sub, "停车", viewer=people.wang, per_page=3, page=99).page == 3
    assert search(tree.sub, "停车", viewer=people.wang, per_page=3, page=-5).page == 1
    assert search(tree.sub, "停车", viewer=people.wang, page=10 ** 30).page == 1


def test_bad_input_is_refused_with_a_message(tree, people):
    for query, filters in (("电" * 101, {}), (" ".join(f"w{i}" for i in range(11)), {}),
                           ("电梯", {"start": date(2025, 2, 1), "end": date(2025, 1, 1)}),
                           ("电梯", {"start": date(1, 1, 1)}), ("电梯", {"end": date(9999, 12, 31)}),
                           ("电梯", {"kinds": ["secret_files"]}), ("电梯", {"tier": "galaxy"})):
        with pytest.raises(InvalidInput) as refused:
            search(tree.sub, query, viewer=people.wang, **filters)
        assert str(refused.value.message)


def test_nothing_to_search_for_is_no_search(tree, people, propose):
    propose(tree.b1, "电梯")
    for query in ("", "   ", None, "！？……", "\x00"):
        results = search(tree.sub, query, viewer=people.wang)
        assert (results.searched, results.total, results.hits) == (False, 0, [])


def test_phone_numbers_are_masked_in_results(tree, people, propose):
    propose(tree.b1, "电梯维修 13812345678", "维修师傅电话 139 1234 5678，随叫随到")
    hit = search(tree.sub, "维修", viewer=people.wang).hits[0]
    assert "13812345678" not in str(hit.title) and "138****5678" in str(hit.title)
    assert "139 **** 5678" in str(hit.snippet)


# --- who sees what ---------------------------------------------------------------------------------

def test_statements_are_read_by_those_who_may_enter_the_room(tree, people, live_meeting):
    statement = say(live_meeting, people.wang, "电梯加装方案我赞成")
    assert found(tree.sub, "电梯", people.wang) == [("statement", statement.id)]        # invited
    assert found(tree.sub, "电梯", people.moderator) == [("statement", statement.id)]   # runs it
    assert found(tree.sub, "电梯", people.liu) == []                                     # building 2
    assert found(tree.sub, "电梯", people.chen) == []


def test_a_draft_ballot_is_found_only_by_those_who_run_it(tree, people):
    with unit_of_work():
        ballot = voting.draft_ballot(tree.b1, actor=people.moderator, question="是否同意加装电梯？",
                                     electorate=Electorate.households, secrecy=Secrecy.named,
                                     rule="simple_majority")
    assert found(tree.sub, "电梯", people.moderator) == [("ballot", ballot.id)]
    assert found(tree.sub, "电梯", people.wang) == []
    with unit_of_work():
        voting.open_ballot(ballot, actor=people.moderator)
    assert found(tree.sub, "电梯", people.wang) == [("ballot", ballot.id)]     # lives in building 1
    assert found(tree.sub, "电梯", people.manager) == [("ballot", ballot.id)]  # serves the compound
    assert found(tree.sub, "电梯", people.liu) == []                            # lives in building 2
    assert found(tree.sub, "电梯", people.leader) == []                         # leads building 2


def test_a_closed_ballot_is_found_by_its_options_and_result(tree, people):
    with unit_of_work():
        ballot = voting.draft_ballot(tree.b1, actor=people.moderator, question="选择哪家电梯公司？",
                                     electorate=Electorate.households, secrecy=Secrecy.named,
                                     rule="plurality", kind=BallotKind.single,
                                     options=["奥的斯", "三菱"])
    with unit_of_work():
        voting.open_ballot(ballot, actor=people.moderator)
    assert found(tree.sub, "三菱", people.wang) == [("ballot", ballot.id)]
    with unit_of_work():
        voting.cast(ballot, actor=people.wang, choice="2")
    with unit_of_work():
        voting.close_ballot(ballot, actor=people.moderator)
    row = db.session.scalar(select(SearchDocument).where(SearchDocument.kind == "ballot"))
    assert row.at == ballot.closed_at and "三菱" in row.body


# --- the index follows every change in its transaction ---------------------------------------------

def test_a_hidden_statement_drops_out_in_the_same_transaction(tree, people, live_meeting):
    statement = say(live_meeting, people.wang, "物业电话13812345678，电梯归他们管")
    with unit_of_work():
        meetings.hide_statement(live_meeting, statement, actor=people.moderator, reason="含有个人电话")
        db.session.flush()
        assert db.session.scalar(select(SearchDocument).where(SearchDocument.kind == "statement")) is None
    assert found(tree.sub, "电梯", people.moderator) == []


def test_a_merged_proposal_and_a_withdrawn_motion_drop_out(tree, people, propose):
    first = propose(tree.b1, "楼道电梯异响")
    again = propose(tree.b1, "电梯异响", author=people.zhang)
    with unit_of_work():
        proposals.merge(again, first, actor=people.moderator, reason="同一件事")
    assert found(tree.sub, "异响", people.wang) == [("proposal", first.id)]
    company = Organisation(place=tree.north, kind=OrganisationKind.property_company, name="富成物业")
    db.session.add_all([company, OrganisationMember(organisation=company, user=people.manager)])
    db.session.commit()
    with unit_of_work():
        motion = motions.assign(tree.b1, actor=people.moderator, title="修复电梯异响", body="尽快检修",
                                organisations=[company])
    assert found(tree.sub, "异响", people.wang, kinds=["motion"]) == [("motion", motion.id)]
    with unit_of_work():
        motions.withdraw(motion, actor=people.moderator, reason="已由街道统一处理")
    assert found(tree.sub, "异响", people.wang, kinds=["motion"]) == []


def test_edits_are_followed_and_a_rolled_back_change_leaves_the_index_alone(tree, people, propose):
    proposal = propose(tree.b1, "停车难", "晚上没有车位")
    with pytest.raises(RuntimeError):
        with unit_of_work():
            proposal.title = "充电桩"
            db.session.flush()
            assert found(tree.sub, "充电桩", people.wang) == [("proposal", proposal.id)]
            raise RuntimeError("the action fails after the change")
    assert found(tree.sub, "充电桩", people.wang) == []
    assert found(tree.sub, "停车", people.wang) == [("proposal", proposal.id)]
    with unit_of_work():
        proposal.body = "晚上没有车位，也没有充电桩"
    assert found(tree.sub, "充电桩", people.wang) == [("proposal", proposal.id)]


def test_a_savepoint_rolled_back_takes_its_index_rows_with_it(tree, people, propose):
    category = db.session.scalars(select(Category)).first()
    with unit_of_work():
        try:
            with db.session.begin_nested():
                db.session.add(Proposal(place_id=tree.b1.id, title="垃圾分类", body="", category_id=category.id,
                                        author_id=people.wang.id))
                db.session.flush()
                raise RuntimeError("refused")
        except RuntimeError:
            pass
    assert found(tree.sub, "垃圾", people.wang) == []
    assert db.session.scalar(select(SearchDocument.id)) is None


def test_changes_that_do_not_touch_the_text_leave_the_row(tree, people, propose):
    proposal = propose(tree.b1, "噪音扰民")
    before = db.session.scalar(select(SearchDocument.id).where(SearchDocument.doc_id == proposal.id))
    with unit_of_work():
        proposal.cosign_count = 5
    with unit_of_work():
        proposal.state = ProposalState.accepted
    assert db.session.scalar(select(SearchDocument.id).where(SearchDocument.doc_id == proposal.id)) == before
    assert found(tree.sub, "噪音", people.wang) == [("proposal", proposal.id)]


def test_reindex_rebuilds_the_same_results_and_picks_up_bulk_loads(tree, people, propose, live_meeting):
    propose(tree.b1, "电梯漏水", "电梯井漏水")
    propose(tree.b2, "停车难", "充电桩也不够", author=people.liu)
    say(live_meeting, people.wang, "充电桩应该装在地面车库")
    queries = ("电梯", "充电桩", "漏水 电梯", "停车")

    def everything():
        return {q: [(h.kind.name, h.doc_id, str(h.title), str(h.snippet))
                    for h in search(tree.sub, q, viewer=people.moderator).hits] for q in queries}
    before = everything()
    with unit_of_work():
        counts = index.reindex(batch=2)
    assert (counts["proposal"], counts["statement"], counts["ballot"], counts["motion"]) == (2, 1, 0, 0)
    assert everything() == before
    # Records written around the ORM are not seen until the index is rebuilt.
    category = db.session.scalars(select(Category)).first()
    with unit_of_work():
        db.session.execute(insert(Proposal), [{"place_id": tree.b1.id, "title": "绿化带被占", "body": "",
                                               "category_id": category.id, "author_id": people.wang.id,
                                               "tier": "home", "state": "submitted"}])
        db.session.execute(update(SearchDocument).values(title_tokens=""))
    assert found(tree.sub, "绿化", people.wang) == []
    with unit_of_work():
        index.reindex()
    assert len(found(tree.sub, "绿化", people.wang)) == 1
    assert everything() == before


def test_the_reindex_command(runner, tree, people, propose):
    propose(tree.b1, "电梯")
    result = runner.invoke(args=["search-reindex", "--batch", "10"])
    assert result.exit_code == 0, result.output
    assert "proposal: 1" in result.output and "documents indexed" in result.output
    assert len(found(tree.sub, "电梯", people.wang)) == 1


def test_beyond_the_candidates_the_newest_are_ranked(tree, people, propose, monkeypatch):
    from consult.search import service

    monkeypatch.setattr(service, "CANDIDATES", 3)
    old = propose(tree.b1, "漏水漏水漏水", "漏水漏水", at=T0)             # the best match, but the oldest
    newer = [propose(tree.b1, f"漏水{i}", at=T0 + timedelta(days=i)) for i in range(1, 5)]
    results = search(tree.sub, "漏水", viewer=people.wang, per_page=2)
    assert (results.more, results.total, results.pages) == (True, 3, 2)
    shown = found(tree.sub, "漏水", people.wang, per_page=2) + found(tree.sub, "漏水", people.wang, per_page=2, page=2)
    assert sorted(shown) == sorted(("proposal", p.id) for p in newer[1:]) and ("proposal", old.id) not in shown
    monkeypatch.setattr(service, "CANDIDATES", 5)
    results = search(tree.sub, "漏水", viewer=people.wang)
    assert not results.more and results.hits[0].doc_id == old.id
