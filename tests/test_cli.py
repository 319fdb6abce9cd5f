import re

from sqlalchemy import func, select

from consult.accounts import service as accounts
from consult.accounts.models import Role, User
from consult.extensions import db
from consult.places.models import Household, Place, PlaceKind

COMMUNITIES = {"富成花园社区", "嘉铭园社区", "融华嘉园社区", "欧陆经典社区", "亚运新新家园社区"}


def test_demo_builds_the_area_and_one_account_per_role(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    names = set(db.session.scalars(select(Place.name).where(Place.kind == PlaceKind.community)))
    assert names == COMMUNITIES
    assert 200 <= db.session.scalar(select(func.count()).select_from(Household)) <= 1000
    accounts_printed = re.findall(r"^\s{2}(.+?)\s{2,}(\S+)\s+(\S+)\s+.*$", result.output.split("only now")[1], re.M)
    assert len(accounts_printed) == len(Role)
    for _role, login, password in accounts_printed:
        user = accounts.authenticate(login, password, address="127.0.0.1", config=app.config)
        assert user.can_sign_in
        db.session.commit()
    held = {g.role for u in db.session.scalars(select(User)) for g in u.grants}
    assert held >= set(Role) - {Role.resident}


def test_demo_refuses_a_database_with_places(runner, tree):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Place)) == 9


def test_create_admin(runner):
    result = runner.invoke(args=["create-admin", "--name", "管理员", "--username", "root2"],
                           input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "root2"))
    assert [g.role for g in user.grants] == [Role.administrator] and user.grants[0].place_id is None


def test_create_admin_short_password_refused(runner):
    result = runner.invoke(args=["create-admin", "--name", "管理员", "--username", "root2"],
                           input="short\nshort\n")
    assert result.exit_code == 1
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_stats_counts_each_place_with_the_places_below(runner, tree, make_household, make_user):
    make_user("王秀英", household=make_household(tree.e1, "101"))
    make_user("张建国", household=make_household(tree.e2, "201"))
    make_user("李四", household=make_household(tree.jb, "301"))
    result = runner.invoke(args=["stats", "--depth", "3"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[1:]}
    assert rows["大屯街道"][:2] == ["3", "3"] and rows["富成花园社区"][:2] == ["2", "2"]
    assert rows["嘉铭园社区"][:2] == ["1", "1"] and rows["富成花园北区"][:2] == ["2", "2"]
    assert "1号楼" not in rows                             # four levels down: not asked for
