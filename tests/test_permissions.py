"""Role × place: who may do what, where. A role covers its place and the places below."""
import pytest

from consult import permissions
from consult.accounts.models import Role
from consult.places import service as places

# (role, place the role is held in) → places where it applies
WHERE = ["sub", "fc", "north", "b1", "e1", "b2", "jm", "jb"]
COVERS = {
    "sub": set(WHERE),
    "fc": {"fc", "north", "b1", "e1", "b2"},
    "north": {"north", "b1", "e1", "b2"},
    "b1": {"b1", "e1"},
    "jm": {"jm", "jb"},
}


def grant(make_user, tree, role, held_in):
    return make_user("某人", role=role, place=getattr(tree, held_in))


@pytest.mark.parametrize("held_in", sorted(COVERS))
@pytest.mark.parametrize("target", WHERE)
def test_administrator_manages_places_below_only(tree, make_user, held_in, target):
    user = grant(make_user, tree, Role.administrator, held_in)
    expected = target in COVERS[held_in]
    place = getattr(tree, target)
    assert permissions.can_manage_place(user, place) is expected
    assert permissions.can_import_households(user, place) is expected
    assert permissions.can_view_audit(user, place) is expected
    assert permissions.can_create_account(user, place) is expected


ROLE_TABLE = [
    # role, manage places, see personal data, manage invites
    (Role.administrator, True, True, True),
    (Role.moderator, False, True, False),
    (Role.grid_worker, False, True, True),
    (Role.building_leader, False, True, False),
    (Role.property_manager, False, False, False),
    (Role.committee_member, False, False, False),
    (Role.department_rep, False, False, False),
    (Role.expert, False, False, False),
    (Role.resident, False, False, False),
]


@pytest.mark.parametrize("role, manage, personal, invites", ROLE_TABLE)
@pytest.mark.parametrize("target", ["b1", "e1", "jb"])
def test_role_table_in_and_outside_the_place(tree, make_user, role, manage, personal, invites, target):
    user = grant(make_user, tree, role, "b1")
    inside = target in COVERS["b1"]
    place = getattr(tree, target)
    assert permissions.can_manage_place(user, place) is (manage and inside)
    assert permissions.can_see_personal_data(user, place) is (personal and inside)
    assert permissions.can_manage_invites(user, place) is (invites and inside)
    # Any role in building 1 reads its community (富成花园), not the next one (嘉铭园).
    assert permissions.can_view_place(user, place) is (target != "jb")


def test_grid_worker_covers_the_grid_buildings(tree, make_user, admin):
    grid = places.create_grid(tree.fc, "第一网格", [tree.b1.id], actor=admin)
    worker = make_user("网格员", role=Role.grid_worker, grid=grid)
    assert permissions.can_manage_invites(worker, tree.e1)
    assert permissions.can_see_personal_data(worker, tree.b1)
    assert not permissions.can_see_personal_data(worker, tree.b2)
    assert not permissions.can_see_personal_data(worker, tree.fc)


def test_household_member_is_a_resident_of_their_building_only(tree, make_household, make_user):
    household = make_household(tree.e1)
    member = make_user(household=household)
    assert permissions.roles_in(member, tree.e1) == {Role.resident}
    assert permissions.belongs_to(member, tree.fc) and permissions.belongs_to(member, tree.b1)
    assert not permissions.belongs_to(member, tree.b2)
    assert permissions.can_view_household(member, household)
    other = make_household(tree.e2, "999")
    assert not permissions.can_view_household(member, other)
    assert not permissions.can_see_personal_data(member, tree.e1)


def test_anonymous_may_do_nothing(tree):
    from flask_login import AnonymousUserMixin

    anonymous = AnonymousUserMixin()
    assert not permissions.can_view_place(anonymous, tree.sub)
    assert not permissions.can_manage_place(anonymous, tree.sub)
    assert permissions.roles_in(anonymous, tree.sub) == set()


def test_installation_administrator_covers_everything(tree, admin):
    assert permissions.can_create_root_place(admin)
    assert all(permissions.can_manage_place(admin, getattr(tree, p)) for p in WHERE)


def test_who_sees_a_persons_full_name_and_phone(tree, make_household, make_user, admin):
    household = make_household(tree.e1)
    person = make_user(household=household)
    neighbour = make_user(household=make_household(tree.e1, "102"))
    leader = make_user(role=Role.building_leader, place=tree.b1)
    other_leader = make_user(role=Role.building_leader, place=tree.b2)
    assert permissions.can_see_person(person, person, None)
    assert permissions.can_see_person(leader, person, tree.e1)
    assert permissions.can_see_person(admin, person, None)
    assert not permissions.can_see_person(neighbour, person, tree.e1)
    assert not permissions.can_see_person(other_leader, person, tree.e1)
