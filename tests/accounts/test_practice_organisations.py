"""Organisations of the practice: Party organisations whose members may show their
identity (党员亮身份) and whose community committee convenes anywhere in the community;
the 1+5+N roster (吹哨报到); partners of a place (社区合伙人)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult import permissions
from consult.accounts import service as accounts
from consult.accounts.models import Organisation, OrganisationKind, OrganisationMember, Role
from consult.clock import utcnow
from consult.database import unit_of_work
from consult.errors import Conflict, InvalidInput, NotAllowed
from consult.extensions import db
from consult.meetings import service as meetings
from consult.meetings.models import MeetingForm, MeetingKind, Quorum
from consult.motions import service as motions
from consult.privacy import shown_name


def organisation(place, kind, name, *members):
    org = Organisation(place=place, kind=kind, name=name)
    db.session.add(org)
    for person in members:
        db.session.add(OrganisationMember(organisation=org, user=person))
    db.session.commit()
    return org


def do(operation, *args, **kwargs):
    with unit_of_work():
        return operation(*args, **kwargs)


@pytest.fixture
def area(tree, make_household, make_user):
    member = make_user("党员居民", phone="13900000001", household=make_household(tree.e1, "101"))
    secretary = make_user("党委书记", username="secretary")
    committee = organisation(tree.fc, OrganisationKind.party_committee, "富成花园社区党委", secretary)
    branch = organisation(tree.north, OrganisationKind.party_branch, "第一网格党支部", member)
    return type("Area", (), dict(
        tree=tree, member=member, secretary=secretary, committee=committee, branch=branch,
        neighbour=make_user("邻居", phone="13900000002", household=make_household(tree.e1, "102")),
        moderator=make_user("主持人", username="moderator", role=Role.moderator, place=tree.fc),
        admin=make_user("管理员", username="admin", role=Role.administrator, place=tree.fc),
    ))


def membership(person, org):
    return db.session.scalar(select(OrganisationMember).where(OrganisationMember.user_id == person.id,
                                                              OrganisationMember.organisation_id == org.id))


# --- 党员亮身份 ----------------------------------------------------------------------------------

def test_a_party_member_who_shows_their_identity_is_named_so_where_they_act(app, area, tree):
    assert shown_name(area.member, tree.b1, area.neighbour) == "党***"
    do(accounts.set_public_identity, membership(area.member, area.branch), True, actor=area.member)
    with app.test_request_context():
        assert shown_name(area.member, tree.b1, area.neighbour) == "党*** · 党员"
        assert shown_name(area.member, tree.b1, area.moderator) == "党员居民 · 党员"
    with app.test_request_context():
        # Outside the branch's place the identity is not shown.
        assert shown_name(area.member, tree.jb, area.neighbour) == "党***"
        assert shown_name(area.member, None, area.neighbour) == "党***"


def test_only_the_member_chooses_to_show_their_identity(area):
    with pytest.raises(NotAllowed):
        do(accounts.set_public_identity, membership(area.member, area.branch), True, actor=area.moderator)
    company = organisation(area.tree.north, OrganisationKind.property_company, "物业", area.neighbour)
    with pytest.raises(InvalidInput):
        do(accounts.set_public_identity, membership(area.neighbour, company), True, actor=area.neighbour)


def test_the_community_party_committee_convenes_meetings_anywhere_in_its_community(area, tree):
    assert permissions.can_schedule_meeting(area.secretary, tree.e1)
    assert not permissions.can_schedule_meeting(area.secretary, tree.jb)
    assert not permissions.can_schedule_meeting(area.member, tree.b1)   # a branch member does not
    meeting = do(meetings.schedule, tree.b1, actor=area.secretary, title="1号楼议事会", kind=MeetingKind.circle,
                 form=MeetingForm.online, starts_at=utcnow() + timedelta(days=1), quorum=Quorum.none,
                 invite_residents=True, free_items=["楼道堆物"])
    assert permissions.can_run_meeting(area.secretary, meeting)
    assert shown_name(area.secretary, tree.b1) == "党委书记"      # acting in office: not masked


# --- 社区合伙人 -----------------------------------------------------------------------------------

def test_partners_are_registered_on_a_place_and_serve_the_places_below(area, tree):
    clinic = organisation(tree.fc, OrganisationKind.business, "康宁诊所")
    partner = do(accounts.register_partner, tree.fc, clinic, actor=area.moderator, offer="每月一次义诊")
    assert accounts.partners_of(tree.e1) == [partner] and accounts.partners_of(tree.jb) == []
    with pytest.raises(Conflict):
        do(accounts.register_partner, tree.fc, clinic, actor=area.moderator)
    with pytest.raises(InvalidInput):
        do(accounts.register_partner, tree.fc, area.committee, actor=area.moderator)
    with pytest.raises(NotAllowed):
        do(accounts.register_partner, tree.b1, clinic, actor=area.member)
    do(accounts.remove_partner, partner, actor=area.moderator)
    assert accounts.partners_of(tree.fc) == []


# --- 吹哨报到 1+5+N -------------------------------------------------------------------------------

def test_a_call_whistles_the_standing_roster_and_those_added_for_the_case(area, tree, make_user):
    police = organisation(tree.sub, OrganisationKind.department, "派出所", make_user("民警"))
    fire = organisation(tree.sub, OrganisationKind.department, "消防救援站")
    market = organisation(tree.sub, OrganisationKind.department, "市场监管所")
    company = organisation(tree.north, OrganisationKind.property_company, "恒安物业")
    do(motions.set_standing_responders, tree.fc, [police, fire], actor=area.moderator)
    assert motions.standing_responders(tree.b1) == (tree.fc, [police, fire])
    motion = do(motions.assign, tree.b1, actor=area.moderator, title="消防通道被占", body="",
                organisations=[company, market], roster=True)
    assert [r.organisation.name for r in motion.responders] == ["恒安物业", "市场监管所", "派出所", "消防救援站"]
    assert motion.whistle
    plain = do(motions.assign, tree.b1, actor=area.moderator, title="换灯", body="", organisations=[company])
    assert [r.organisation_id for r in plain.responders] == [company.id]


def test_only_a_moderator_sets_the_roster_of_organisations_that_serve_the_place(area, tree):
    elsewhere = organisation(tree.jm, OrganisationKind.department, "别处的部门")
    with pytest.raises(NotAllowed):
        do(motions.set_standing_responders, tree.fc, [], actor=area.member)
    with pytest.raises(InvalidInput):
        do(motions.set_standing_responders, tree.fc, [elsewhere], actor=area.moderator)
    assert motions.standing_responders(tree.fc) == (None, [])


# --- pages ---------------------------------------------------------------------------------------

def test_the_place_page_lists_partners_and_the_roster_and_moderators_set_them(client, auth, area, tree):
    clinic = organisation(tree.fc, OrganisationKind.business, "康宁诊所")
    police = organisation(tree.sub, OrganisationKind.department, "派出所")
    auth.login("moderator")
    assert client.post_form(f"/places/{tree.fc.id}/partners",
                            {"organisation_id": str(clinic.id), "offer": "每月一次<b>义诊</b>"}).status_code == 302
    assert client.post_form(f"/places/{tree.fc.id}/roster", {"organisations": str(police.id)}).status_code == 302
    auth.logout()
    auth.login("13900000002")
    page = client.get(f"/places/{tree.b1.id}").get_data(as_text=True)
    assert "康宁诊所" in page and "每月一次&lt;b&gt;义诊" in page and "派出所" in page
    assert f"/places/{tree.b1.id}/roster" not in page
    assert client.post_form(f"/places/{tree.fc.id}/roster", {"organisations": ""}).status_code == 403


def test_a_member_shows_their_identity_from_the_organisation_page(client, auth, area, tree):
    auth.login("13900000001")
    page = client.get(f"/organisations/{area.branch.id}").get_data(as_text=True)
    assert "亮身份" in page
    member = membership(area.member, area.branch)
    assert client.post_form(f"/organisation-members/{member.id}/identity", {"shown": "1"}).status_code == 302
    db.session.expire_all()
    assert member.public_identity
    assert "党员居民 · 党员" in client.get(f"/organisations/{area.branch.id}").get_data(as_text=True)
    auth.logout()
    auth.login("13900000002")
    assert client.post_form(f"/organisation-members/{member.id}/identity", {"shown": "0"}).status_code == 403
