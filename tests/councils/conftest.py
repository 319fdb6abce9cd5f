import pytest

from consult.accounts.models import Organisation, OrganisationKind, OrganisationMember, Role
from consult.extensions import db
from consult.places.models import Grid


@pytest.fixture
def area(tree, make_household, make_user):
    company = Organisation(kind=OrganisationKind.property_company, name="恒安物业", place=tree.north)
    committee = Organisation(kind=OrganisationKind.owners_committee, name="北区业委会", place=tree.north)
    db.session.add_all([company, committee])
    db.session.commit()
    manager = make_user("物业经理", username="property")
    db.session.add(OrganisationMember(organisation=company, user=manager))
    grid = Grid(community=tree.fc, name="第二网格", buildings=[tree.b2])
    db.session.add(grid)
    db.session.commit()
    return type("Area", (), dict(
        company=company, committee=committee, manager=manager, grid=grid,
        resident=make_user("居民", phone="13900000001", household=make_household(tree.e1, "101")),
        b2_resident=make_user("二号楼居民", phone="13900000002", household=make_household(tree.b2, "201")),
        moderator=make_user("书记", username="moderator", role=Role.moderator, place=tree.fc),
    ))
