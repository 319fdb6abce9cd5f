import pytest
from sqlalchemy import func, select

from consult.accounts import service as accounts
from consult.accounts.models import LoginFailure, OrganisationKind, Role, User
from consult.database import unit_of_work
from consult.errors import Conflict, InvalidInput, NotAllowed, TooManyAttempts
from consult.extensions import db
from consult.places.models import Relation
from tests.conftest import PASSWORD


@pytest.fixture
def invite(tree, make_household, admin):
    household = make_household(tree.e1, "101")
    with unit_of_work():
        return accounts.issue_invite(household, actor=admin)


def register(code, **overrides):
    from flask import current_app

    data = dict(name="王秀英", phone="13912345678", password="a long password", address="10.1.1.1",
                config=current_app.config)
    data.update(overrides)
    with unit_of_work():
        return accounts.register_with_invite(code, **data)


def test_register_with_invite_makes_a_member(invite):
    user = register(invite.code.lower())  # codes are read case-insensitively
    assert user.households == [invite.household]
    assert user.memberships[0].relation is Relation.owner
    assert invite.used_at is not None and invite.used_by is user
    assert user.password_hash.startswith("$argon2id$")


def test_invite_code_is_single_use(invite):
    register(invite.code)
    with pytest.raises(InvalidInput, match="已被使用"):
        register(invite.code, phone="13912345679")
    assert db.session.scalar(select(func.count()).select_from(User)) == 2  # admin + first


def test_revoked_code_refused(invite, admin):
    with unit_of_work():
        accounts.revoke_invite(invite, actor=admin)
    with pytest.raises(InvalidInput, match="无效"):
        register(invite.code)


def test_unknown_code_refused(invite):
    with pytest.raises(InvalidInput):
        register("ZZZZZZZZ")


def test_guessing_codes_is_throttled_per_address(app, invite):
    for n in range(app.config["LOGIN_FAILURES_PER_ADDRESS"]):
        with pytest.raises(InvalidInput):
            register(f"GUESS{n:03d}")
    with pytest.raises(TooManyAttempts):
        register(invite.code)  # even the right code, from that address
    assert register(invite.code, address="10.1.1.2").can_sign_in


def test_new_code_revokes_the_old(invite, admin):
    with unit_of_work():
        fresh = accounts.issue_invite(invite.household, actor=admin)
    assert invite.revoked_at is not None and fresh.is_usable


def test_duplicate_phone_refused(invite, make_user):
    make_user("别人", phone="13912345678")
    with pytest.raises(Conflict):
        register(invite.code)
    assert invite.used_at is None


def test_imported_owner_claims_their_record(invite, make_user):
    owner = make_user("王秀英", phone="13912345678", password=None, household=invite.household)
    user = register(invite.code)
    assert user.id == owner.id and user.can_sign_in
    assert len(invite.household.members) == 1


@pytest.mark.parametrize("field, value", [
    ("phone", "12345"), ("phone", "1391234567x"), ("name", ""), ("name", "名" * 51),
    ("password", "short"), ("password", "x" * 129),
])
def test_bad_registration_input_refused(invite, field, value):
    with pytest.raises(InvalidInput):
        register(invite.code, **{field: value})
    assert invite.used_at is None


def test_invite_sheet_gives_every_household_one_code(tree, make_household, admin):
    for room in ("101", "102", "201"):
        make_household(tree.e1, room)
    make_household(tree.b2, "101")
    with unit_of_work():
        first = accounts.issue_invites_for(tree.b1, actor=admin)
    with unit_of_work():
        again = accounts.issue_invites_for(tree.b1, actor=admin)
    assert len(first) == 3 and [i.code for i in first] == [i.code for i in again]
    assert len({i.code for i in first}) == 3


def test_authenticate_by_phone_or_username(app, make_user):
    make_user("王秀英", phone="13912345678", username="wxy")
    assert accounts.authenticate("13912345678", PASSWORD, address="1.2.3.4", config=app.config).name == "王秀英"
    assert accounts.authenticate("WXY", PASSWORD, address="1.2.3.4", config=app.config).name == "王秀英"


def test_authenticate_wrong_password_is_recorded(app, make_user):
    make_user(phone="13912345678")
    with pytest.raises(InvalidInput):
        with unit_of_work():
            accounts.authenticate("13912345678", "wrong password", address="1.2.3.4", config=app.config)
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 2  # account + address


def test_failed_logins_are_limited_per_account(app, make_user):
    make_user(phone="13912345678")
    for n in range(app.config["LOGIN_FAILURES_PER_ACCOUNT"]):
        with pytest.raises(InvalidInput):
            accounts.authenticate("13912345678", "wrong", address=f"10.0.0.{n}", config=app.config)
        db.session.commit()
    with pytest.raises(TooManyAttempts):  # even with the right password, from a new address
        accounts.authenticate("13912345678", PASSWORD, address="10.0.1.1", config=app.config)


def test_failed_logins_are_limited_per_address(app, make_user):
    make_user(phone="13912345678")
    for n in range(app.config["LOGIN_FAILURES_PER_ADDRESS"]):
        with pytest.raises(InvalidInput):
            accounts.authenticate(f"1391234{n:04d}", "wrong", address="10.9.9.9", config=app.config)
        db.session.commit()
    with pytest.raises(TooManyAttempts):
        accounts.authenticate("13912345678", PASSWORD, address="10.9.9.9", config=app.config)
    assert accounts.authenticate("13912345678", PASSWORD, address="10.9.9.8", config=app.config)


def test_imported_owner_without_password_cannot_sign_in(app, make_user):
    make_user(phone="13912345678", password=None)
    with pytest.raises(InvalidInput):
        accounts.authenticate("13912345678", "", address="1.1.1.1", config=app.config)


def test_change_password_ends_other_sessions(app, make_user):
    user = make_user()
    with unit_of_work():
        here = accounts.open_sign_in(user, user_agent=None, address="10.0.0.1", config=app.config)
        there = accounts.open_sign_in(user, user_agent=None, address="10.0.0.2", config=app.config)
    with pytest.raises(InvalidInput):
        accounts.change_password(user, "wrong", "a new long password", keep=here)
    assert there.ended_at is None
    with unit_of_work():
        ended = accounts.change_password(user, PASSWORD, "a new long password", keep=here)
    assert ended == [there.token]
    assert here.ended_at is None and there.ended_at is not None


def test_grant_role_rules(tree, admin, make_user):
    person = make_user()
    with pytest.raises(InvalidInput):  # a building leader leads a building, not a community
        accounts.grant_role(person, Role.building_leader, actor=admin, place=tree.fc)
    with pytest.raises(InvalidInput):  # a property manager acts for a company
        accounts.grant_role(person, Role.property_manager, actor=admin, place=tree.north)
    with pytest.raises(InvalidInput):  # only an administrator may hold an installation-wide role
        accounts.grant_role(person, Role.moderator, actor=admin)
    company = accounts.create_organisation(tree.north, OrganisationKind.property_company, "物业公司", actor=admin)
    grant = accounts.grant_role(person, Role.property_manager, actor=admin, place=tree.north, organisation=company)
    assert grant.covers(tree.e1)
    with pytest.raises(Conflict):
        accounts.grant_role(person, Role.property_manager, actor=admin, place=tree.north, organisation=company)


def test_community_administrator_cannot_grant_elsewhere(tree, make_user):
    community_admin = make_user("社区管理员", role=Role.administrator, place=tree.fc)
    person = make_user()
    accounts.grant_role(person, Role.moderator, actor=community_admin, place=tree.north)
    with pytest.raises(NotAllowed):
        accounts.grant_role(person, Role.moderator, actor=community_admin, place=tree.jm)
    with pytest.raises(NotAllowed):
        accounts.grant_role(person, Role.administrator, actor=community_admin)


def test_create_account_with_generated_password(tree, admin, make_household):
    household = make_household(tree.e1)
    with unit_of_work():
        user, generated = accounts.create_account(actor=admin, name="李桂兰", phone="13900001111", username=None,
                                                  password=None, household=household, relation=Relation.family)
    assert generated and len(generated) >= 8
    assert accounts.authenticate("13900001111", generated, address="1.1.1.1", config={
        "LOGIN_FAILURE_WINDOW_MINUTES": 15, "LOGIN_FAILURES_PER_ACCOUNT": 5, "LOGIN_FAILURES_PER_ADDRESS": 20})
    assert user.memberships[0].relation is Relation.family


def test_resident_cannot_create_accounts(tree, make_household, make_user):
    household = make_household(tree.e1)
    resident = make_user(household=household)
    with pytest.raises(NotAllowed):
        accounts.create_account(actor=resident, name="x", phone="13900001112", username=None,
                                password=None, household=household)


def test_organisation_members(tree, admin, make_user):
    company = accounts.create_organisation(tree.north, OrganisationKind.property_company, "物业公司", actor=admin)
    person = make_user()
    accounts.add_organisation_member(company, person, actor=admin, title="项目经理")
    with pytest.raises(Conflict):
        accounts.add_organisation_member(company, person, actor=admin)
    with pytest.raises(Conflict):
        accounts.create_organisation(tree.north, OrganisationKind.property_company, "物业公司", actor=admin)
