"""The turnout desk: participation per building and entrance against the thresholds, the
door-knocking list of a building with its visits, and one-tap reminders. Staff see
their own buildings; residents only the overall participation."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from consult.accounts.models import Role
from consult.database import unit_of_work
from consult.errors import Conflict, NotAllowed
from consult.extensions import db
from consult.notifications.models import Notification
from consult.places.models import Grid
from consult.turnout import service as turnout
from consult.turnout.models import DoorOutcome, DoorVisit
from consult.voting import service as voting
from consult.voting.models import BallotVoter, Choice, Electorate, Secrecy

from tests.voting.test_pages import people, vote  # noqa: F401  (a fixture and a helper)


@pytest.fixture
def community(tree, people, make_household, make_user):
    """``people`` lives in building 1 (three households); building 2 has two more, served
    by its own building leader."""
    people.li = make_user("李阿姨", phone="13900000021", household=make_household(tree.b2, "301", "80.00"))
    people.sun = make_user("孙大爷", phone="13900000022", household=make_household(tree.b2, "302", "70.00"))
    people.leader2 = make_user("周楼长", username="leader2", role=Role.building_leader, place=tree.b2)
    return people


def owners_ballot(tree, people):
    with unit_of_work():
        ballot = voting.draft_ballot(tree.fc, actor=people.moderator, question="是否同意使用维修资金？",
                                     electorate=Electorate.owners, secrecy=Secrecy.named, rule="civil_code_278")
    with unit_of_work():
        voting.open_ballot(ballot, actor=people.moderator)
    return ballot


def test_the_desk_gives_each_building_its_figures_and_the_moderator_all(client, auth, tree, community):
    ballot = owners_ballot(tree, community)
    vote(client, auth, "13900000001", ballot, "yes")     # 101, 90 m², building 1
    found = turnout.desk(ballot, actor=community.moderator)
    by_name = {b.name: b for b in found.buildings}
    assert [b.name for b in found.buildings] == ["富成花园北区 1号楼", "富成花园北区 2号楼"]
    one = by_name["富成花园北区 1号楼"]
    assert (one.eligible, one.cast, one.eligible_area, one.cast_area) == (3, 1, Decimal("270.00"), Decimal("90.00"))
    assert (found.overall.eligible, found.overall.cast) == (5, 1) and found.by_area
    auth.login("moderator")
    page = client.get(f"/ballots/{ballot.id}/turnout").get_data(as_text=True)
    assert "1号楼" in page and "2号楼" in page and "未达三分之二" in page


def test_a_building_leader_sees_only_their_building(client, auth, tree, community):
    ballot = owners_ballot(tree, community)
    found = turnout.desk(ballot, actor=community.leader2)
    assert [b.name for b in found.buildings] == ["富成花园北区 2号楼"]
    assert found.overall.eligible == 5 and found.mine.eligible == 2
    auth.login("leader2")
    assert client.get(f"/ballots/{ballot.id}/turnout/buildings/{tree.b2.id}").status_code == 200
    assert client.get(f"/ballots/{ballot.id}/turnout/buildings/{tree.b1.id}").status_code == 403
    assert client.get(f"/ballots/{ballot.id}/turnout/buildings/{tree.b1.id}/doors.pdf").status_code == 403


def test_a_grid_worker_sees_the_buildings_of_their_grid(tree, community, make_user):
    grid = Grid(community_id=tree.fc.id, name="第一网格", buildings=[tree.b2])
    db.session.add(grid)
    db.session.commit()
    worker = make_user("网格员", username="gridder", role=Role.grid_worker, grid=grid)
    ballot = owners_ballot(tree, community)
    assert [b.place_id for b in turnout.desk(ballot, actor=worker).buildings] == [tree.b2.id]


def test_residents_see_only_the_overall_participation_never_who_has_not_voted(client, auth, tree, community):
    ballot = owners_ballot(tree, community)
    vote(client, auth, "13900000001", ballot, "yes")
    auth.login("13900000003")       # a resident of building 1 who has not voted
    page = client.get(f"/ballots/{ballot.id}").get_data(as_text=True)
    assert "张建国" not in page and "李阿姨" not in page and "/turnout" not in page
    for url in (f"/ballots/{ballot.id}/turnout", f"/ballots/{ballot.id}/turnout/buildings/{tree.b1.id}",
                f"/ballots/{ballot.id}/turnout/buildings/{tree.b1.id}/doors.pdf",
                f"/ballots/{ballot.id}/turnout/buildings/{tree.b1.id}/sheet.pdf",
                f"/ballots/{ballot.id}/turnout/sheets.pdf"):
        assert client.get(url).status_code == 403, url
    voter = db.session.scalar(select(BallotVoter).where(BallotVoter.user_id == community.zhang.id))
    assert client.post_form(f"/ballots/{ballot.id}/turnout/voters/{voter.id}/visit",
                            {"outcome": "visited"}).status_code == 403
    assert client.post_form(f"/ballots/{ballot.id}/turnout/buildings/{tree.b1.id}/remind").status_code == 403
    with pytest.raises(NotAllowed):
        turnout.desk(ballot, actor=community.zhao)
    assert db.session.scalar(select(DoorVisit.id)) is None


def test_the_door_list_names_the_non_voters_in_address_order_with_their_last_visit(client, auth, tree, community):
    ballot = owners_ballot(tree, community)
    vote(client, auth, "13900000002", ballot, "yes")     # 102 voted
    auth.login("grid")
    page = client.get(f"/ballots/{ballot.id}/turnout/buildings/{tree.b1.id}").get_data(as_text=True)
    assert page.index("王秀英") < page.index("赵大妈") and "张建国" not in page
    voter = db.session.scalar(select(BallotVoter).where(BallotVoter.user_id == community.zhao.id))
    assert client.post_form(f"/ballots/{ballot.id}/turnout/voters/{voter.id}/visit",
                            {"outcome": "not_home", "note": "晚上再来"}).status_code == 302
    page = client.get(f"/ballots/{ballot.id}/turnout/buildings/{tree.b1.id}").get_data(as_text=True)
    assert "无人在家" in page and "晚上再来" in page
    visit = db.session.scalar(select(DoorVisit))
    assert (visit.outcome, visit.by_id, visit.voter_id) == (DoorOutcome.not_home, community.grid.id, voter.id)
    pdf = client.get(f"/ballots/{ballot.id}/turnout/buildings/{tree.b1.id}/doors.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    from tests.turnout.test_notices import pdf_text

    text = pdf_text(pdf)
    assert "入户动员清单" in text and "赵大妈" in text and "张建国" not in text


def test_one_tap_reminds_a_buildings_non_voters_once_a_day(client, auth, tree, community):
    ballot = owners_ballot(tree, community)
    vote(client, auth, "13900000001", ballot, "yes")
    with unit_of_work():
        told = turnout.remind_building(ballot, tree.b1, actor=community.grid)
    assert told == 2
    nudged = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "ballot.nudge")))
    assert nudged == {community.zhang.id, community.zhao.id}
    with pytest.raises(Conflict):
        with unit_of_work():
            turnout.remind_building(ballot, tree.b1, actor=community.moderator)
    auth.login("leader2")
    assert client.post_form(f"/ballots/{ballot.id}/turnout/buildings/{tree.b2.id}/remind").status_code == 302
    nudged = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "ballot.nudge")))
    assert nudged == {community.zhang.id, community.zhao.id, community.li.id, community.sun.id}
    with pytest.raises(NotAllowed):
        with unit_of_work():
            turnout.remind_building(ballot, tree.b1, actor=community.leader2)


def test_a_household_ballot_shows_entrances(tree, community):
    with unit_of_work():
        ballot = voting.draft_ballot(tree.b1, actor=community.moderator, question="是否加装电梯？",
                                     electorate=Electorate.households, secrecy=Secrecy.named, rule="simple_majority")
    with unit_of_work():
        voting.open_ballot(ballot, actor=community.moderator)
    with unit_of_work():
        voting.cast(ballot, actor=community.zhao, choice=Choice.yes)
    doors = turnout.doors(ballot, tree.b1, actor=community.grid)
    figures = turnout.building_figures(ballot, tree.b1, doors)
    assert [(f.name, f.eligible, f.cast) for f in figures] == [("1单元", 2, 0), ("2单元", 1, 1)]


@pytest.mark.parametrize("who, building, desk, canvass", [
    ("moderator", "b1", True, True),
    ("grid", "b1", True, True),          # grid worker of building 1
    ("grid", "b2", True, False),
    ("leader2", "b2", True, True),       # building leader of building 2
    ("leader2", "b1", True, False),
    ("zhang", "b1", False, False),       # a resident of building 1
    ("expert", "b1", False, False),      # an expert of the subdistrict
    ("outsider", "b1", False, False),
])
def test_who_sees_the_desk_and_works_a_buildings_doors(tree, community, who, building, desk, canvass):
    from consult import permissions

    ballot = owners_ballot(tree, community)
    person = getattr(community, who)
    assert permissions.can_watch_turnout(person, ballot) is desk
    assert permissions.can_canvass(person, ballot, getattr(tree, building)) is canvass
