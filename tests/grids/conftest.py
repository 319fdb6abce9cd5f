import pytest

from consult.accounts.models import Organisation, OrganisationKind, OrganisationMember, Role
from consult.extensions import db
from consult.places.models import Grid


@pytest.fixture
def area(tree, make_household, make_user):
    """A large grid (第一网格) of two micro grids: 1号楼 and 2号楼 of 富成花园北区; a grid
    worker for each micro grid, a grid leader for the large grid; the compound's property
    company with one member."""
    large = Grid(community=tree.fc, name="第一网格")
    micro1 = Grid(community=tree.fc, name="第一网格1号微网格", buildings=[tree.b1], parent=large)
    micro2 = Grid(community=tree.fc, name="第一网格2号微网格", buildings=[tree.b2], parent=large)
    company = Organisation(kind=OrganisationKind.property_company, name="恒安物业", place=tree.north)
    db.session.add_all([large, micro1, micro2, company])
    db.session.commit()
    h101 = make_household(tree.e1, "101")
    h201 = make_household(tree.b2, "201")
    manager = make_user("物业经理", username="property", role=Role.property_manager, place=tree.north)
    db.session.add(OrganisationMember(organisation=company, user=manager))
    db.session.commit()
    return type("Area", (), dict(
        large=large, micro1=micro1, micro2=micro2, company=company, manager=manager, h101=h101, h201=h201,
        resident=make_user("居民", phone="13900000001", household=h101),
        other=make_user("邻楼居民", phone="13900000002", household=h201),
        stranger=make_user("嘉铭园居民", phone="13900000003", household=make_household(tree.jb, "801")),
        worker=make_user("网格员", username="worker", role=Role.grid_worker, grid=micro1),
        worker2=make_user("二号网格员", username="worker2", role=Role.grid_worker, grid=micro2),
        leader=make_user("网格长", username="gridleader", role=Role.grid_leader, grid=large),
        moderator=make_user("书记", username="moderator", role=Role.moderator, place=tree.fc),
    ))
