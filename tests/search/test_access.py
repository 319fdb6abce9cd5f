"""The audiences written as SQL give the same answers as the permission functions they
restate, for every person and record of a mixed area."""
from datetime import timedelta
from decimal import Decimal

import pytest

from consult import clock, permissions
from consult.accounts.models import Role
from consult.database import unit_of_work
from consult.extensions import db
from consult.meetings import service as meetings
from consult.meetings.models import MeetingForm, MeetingKind, Quorum
from consult.places.models import Grid
from consult.search import search
from consult.voting import service as voting
from consult.voting.models import BallotVoter, Electorate, Secrecy


@pytest.fixture
def crowd(tree, people, make_user):
    grid = Grid(community=tree.fc, name="第一网格", buildings=[tree.b1])
    db.session.add(grid)
    db.session.commit()
    return dict(
        {name: person for name, person in vars(people).items() if not name.startswith("_")},
        admin=make_user("管理员", role=Role.administrator),
        north_moderator=make_user("北区主持人", role=Role.moderator, place=tree.north),
        grid_worker=make_user("网格员", role=Role.grid_worker, grid=grid),
        officer=make_user("城管", role=Role.department_rep, place=tree.sub),
        expert=make_user("周律师", role=Role.expert, place=tree.jm),
        recorder=make_user("记录员", household=None),
        nobody=make_user("路人"),
    )


def _ballot(place, actor, question, open_it=True):
    with unit_of_work():
        ballot = voting.draft_ballot(place, actor=actor, question=question, electorate=Electorate.households,
                                     secrecy=Secrecy.named, rule="simple_majority")
    if open_it:
        with unit_of_work():
            voting.open_ballot(ballot, actor=actor)
    return ballot


def test_ballots_are_found_by_exactly_those_who_may_view_them(tree, people, crowd, make_household, make_user):
    make_household(tree.jb, "302")
    ballots = [
        _ballot(tree.b1, people.moderator, "一号楼绿化改造"),
        _ballot(tree.e2, people.moderator, "二单元绿化"),
        _ballot(tree.b2, people.moderator, "二号楼绿化"),
        _ballot(tree.north, crowd["north_moderator"], "北区绿化"),
        _ballot(tree.fc, people.moderator, "社区绿化"),
        _ballot(tree.b1, people.moderator, "一号楼绿化草案", open_it=False),
        _ballot(tree.jb, crowd["admin"], "嘉铭园绿化"),
    ]
    # Someone from elsewhere in building 8's electorate, as for a ballot of attendees.
    db.session.add(BallotVoter(ballot_id=ballots[-1].id, voter_key="person:x", user_id=people.wang.id,
                               area=Decimal("0")))
    db.session.commit()
    for name, person in crowd.items():
        seen = {hit.doc_id for hit in search(tree.sub, "绿化", viewer=person, kinds=["ballot"]).hits}
        allowed = {b.id for b in ballots if permissions.can_view_ballot(person, b)}
        assert seen == allowed, name


def test_statements_are_found_by_exactly_those_who_may_enter_the_room(tree, people, crowd):
    with unit_of_work():
        here = meetings.schedule(tree.b1, actor=people.moderator, title="一号楼议事会", kind=MeetingKind.circle,
                                 form=MeetingForm.online, starts_at=clock.utcnow() + timedelta(hours=1),
                                 quorum=Quorum.none, invite_residents=True, people=[crowd["officer"]],
                                 recorder=crowd["recorder"], free_items=["绿化"])
        there = meetings.schedule(tree.jb, actor=crowd["admin"], title="八号楼议事会", kind=MeetingKind.platform,
                                  form=MeetingForm.online, starts_at=clock.utcnow() + timedelta(hours=1),
                                  quorum=Quorum.none, people=[crowd["expert"], people.chen], free_items=["绿化"])
    said = []
    for meeting, runner, speaker in ((here, people.moderator, people.wang), (there, crowd["admin"], people.chen)):
        with unit_of_work():
            meetings.sign_in(meeting, actor=speaker)
        with unit_of_work():
            meetings.change_state(meeting, "start", actor=runner)
        with unit_of_work():
            said.append((meeting, meetings.post_statement(meeting, actor=speaker, body="绿化带应该补种")))
    for name, person in crowd.items():
        seen = {hit.doc_id for hit in search(tree.sub, "绿化", viewer=person, kinds=["statement"]).hits}
        allowed = {s.id for meeting, s in said if meetings.can_enter(person, meeting)}
        assert seen == allowed, name
