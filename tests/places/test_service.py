from decimal import Decimal

import pytest
from sqlalchemy import func, select

from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.database import unit_of_work
from consult.errors import Conflict, InvalidInput, NotAllowed
from consult.extensions import db
from consult.places import service as places
from consult.places.models import Household, Place, PlaceKind, Relation


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_place_sets_path_and_audits(tree, admin):
    with unit_of_work():
        b = places.create_place(tree.north, PlaceKind.building, " 3号楼 ", actor=admin)
    assert b.name == "3号楼"
    assert b.path == f"{tree.north.path}{b.id}/"
    assert b.is_within(tree.fc) and b.is_within(tree.sub) and not b.is_within(tree.jm)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "place.create")).one()
    assert entry.actor_id == admin.id and entry.target_id == b.id


@pytest.mark.parametrize("kind, parent_attr", [
    (PlaceKind.entrance, "north"),   # an entrance belongs in a building
    (PlaceKind.community, "north"),  # a community does not fit in a compound
    (PlaceKind.compound, "b1"),
])
def test_create_place_wrong_parent_kind_refused(tree, admin, kind, parent_attr):
    before = count(Place)
    with pytest.raises(InvalidInput):
        with unit_of_work():
            places.create_place(getattr(tree, parent_attr), kind, "X", actor=admin)
    assert count(Place) == before


def test_create_place_duplicate_name_refused(tree, admin):
    with pytest.raises(Conflict):
        places.create_place(tree.north, PlaceKind.building, "1号楼", actor=admin)


def test_create_place_overlong_name_refused(tree, admin):
    with pytest.raises(InvalidInput):
        places.create_place(tree.north, PlaceKind.building, "楼" * 81, actor=admin)


def test_building_can_sit_directly_in_a_community(tree, admin):
    b = places.create_place(tree.jm, PlaceKind.building, "9号楼", actor=admin)
    assert b.parent is tree.jm


def test_create_place_outside_own_scope_refused(tree, make_user):
    community_admin = make_user("社区管理员", role=Role.administrator, place=tree.fc)
    places.create_place(tree.north, PlaceKind.building, "5号楼", actor=community_admin)
    with pytest.raises(NotAllowed):
        places.create_place(tree.jm, PlaceKind.building, "5号楼", actor=community_admin)


def test_delete_place_with_children_refused(tree, admin):
    with pytest.raises(Conflict, match="下级地点"):
        places.delete_place(tree.b1, actor=admin)
    assert db.session.get(Place, tree.b1.id) is not None


def test_delete_place_with_households_refused(tree, admin, make_household):
    make_household(tree.b2, "101")
    with pytest.raises(Conflict):
        places.delete_place(tree.b2, actor=admin)


def test_delete_place_with_a_role_held_in_it_refused(tree, admin, make_user):
    make_user("楼门长", role=Role.building_leader, place=tree.b2)
    with pytest.raises(Conflict):
        places.delete_place(tree.b2, actor=admin)


def test_delete_empty_place(tree, admin):
    with unit_of_work():
        places.delete_place(tree.e2, actor=admin)
    assert db.session.get(Place, tree.e2.id) is None


def test_move_empty_place(tree, admin):
    with unit_of_work():
        places.move_place(tree.b2, tree.jm, actor=admin)
    assert tree.b2.parent is tree.jm
    assert tree.b2.path == f"{tree.jm.path}{tree.b2.id}/"


def test_move_place_with_records_refused(tree, admin, make_household):
    make_household(tree.b2)
    with pytest.raises(Conflict):
        places.move_place(tree.b2, tree.jm, actor=admin)
    assert tree.b2.parent_id == tree.north.id


def test_move_place_with_children_refused(tree, admin):
    with pytest.raises(Conflict):
        places.move_place(tree.b1, tree.jm, actor=admin)


def test_move_into_wrong_kind_refused(tree, admin):
    with pytest.raises(InvalidInput):
        places.move_place(tree.b2, tree.e1, actor=admin)


def test_add_household_validates_area(tree, admin):
    for bad in ("", "abc", "-3", "0", "12.345", "NaN", "1e9"):
        with pytest.raises(InvalidInput):
            places.add_household(tree.e1, "101", bad, actor=admin)
    h = places.add_household(tree.e1, "101", "86.5", actor=admin)
    assert h.area == Decimal("86.50")


def test_add_household_duplicate_room_refused(tree, admin, make_household):
    make_household(tree.e1, "101")
    with pytest.raises(Conflict):
        places.add_household(tree.e1, "101", "60", actor=admin)


def test_households_only_in_buildings_and_entrances(tree, admin):
    with pytest.raises(InvalidInput):
        places.add_household(tree.north, "101", "60", actor=admin)


def test_first_owner_votes_and_voter_can_change(tree, admin, make_household, make_user):
    h = make_household(tree.e1)
    a = make_user("张建国", password=None)
    b = make_user("李桂兰", password=None)
    t = make_user("赵租户", password=None)
    with unit_of_work():
        ma = places.add_member(h, a, Relation.owner, actor=admin)
        mb = places.add_member(h, b, Relation.owner, actor=admin)
        mt = places.add_member(h, t, Relation.tenant, actor=admin)
    assert h.designated_voter is ma
    with unit_of_work():
        places.designate_voter(mb, actor=admin)
    db.session.expire_all()
    assert h.designated_voter.id == mb.id
    with pytest.raises(InvalidInput):
        places.designate_voter(mt, actor=admin)


def test_owner_of_several_households(tree, admin, make_household, make_user):
    h1, h2 = make_household(tree.e1, "101"), make_household(tree.e2, "202")
    owner = make_user("孙业主", password=None)
    with unit_of_work():
        places.add_member(h1, owner, Relation.owner, actor=admin)
        places.add_member(h2, owner, Relation.owner, actor=admin)
    assert {h.id for h in owner.households} == {h1.id, h2.id}


def test_one_designated_voter_is_a_database_constraint(tree, make_household, make_user):
    from sqlalchemy.exc import IntegrityError

    from consult.places.models import HouseholdMember

    h = make_household(tree.e1)
    a, b = make_user("甲", password=None), make_user("乙", password=None)
    db.session.add_all([
        HouseholdMember(household=h, user=a, relation=Relation.owner, is_designated_voter=True),
        HouseholdMember(household=h, user=b, relation=Relation.owner, is_designated_voter=True),
    ])
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_removing_the_voter_passes_the_vote_to_another_owner(tree, admin, make_household, make_user):
    h = make_household(tree.e1)
    a, b = make_user("甲", password=None), make_user("乙", password=None)
    with unit_of_work():
        ma = places.add_member(h, a, Relation.owner, actor=admin)
        mb = places.add_member(h, b, Relation.owner, actor=admin)
    with unit_of_work():
        places.remove_member(ma, actor=admin)
    assert mb.is_designated_voter


def test_grid_covers_its_buildings(tree, admin):
    grid = places.create_grid(tree.fc, "第一网格", [tree.b1.id], actor=admin)
    assert grid.covers(tree.e1) and grid.covers(tree.b1) and not grid.covers(tree.b2)


def test_grid_refuses_buildings_of_other_community(tree, admin):
    with pytest.raises(InvalidInput):
        places.create_grid(tree.fc, "第一网格", [tree.jb.id], actor=admin)


def test_foreign_keys_are_enforced_by_the_database(app):
    from sqlalchemy.exc import IntegrityError

    db.session.add(Household(place_id=999999, room="101", area=Decimal("50")))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_households_and_people_come_in_address_order(tree, make_place, make_household, make_user):
    from consult.places import service as places_service

    b10 = make_place("building", "10号楼", tree.north)
    homes = [make_household(b10, "101"), make_household(tree.e2, "1201"), make_household(tree.e2, "201"),
             make_household(tree.e1, "302"), make_household(tree.b2, "101")]
    found = [(h.place.name, h.room) for h in places_service.households_in(tree.north)]
    assert found == [("1单元", "302"), ("2单元", "201"), ("2单元", "1201"), ("2号楼", "101"), ("10号楼", "101")]
    assert [c.name for c in tree.north.children] == ["1号楼", "2号楼", "10号楼"]
    people = [make_user(f"居民{n}", household=h) for n, h in enumerate(homes)]
    ordered = places_service.people_in_address_order(people + [make_user("无住户")])
    assert [p.name for p in ordered] == ["居民3", "居民2", "居民1", "居民4", "居民0", "无住户"]
