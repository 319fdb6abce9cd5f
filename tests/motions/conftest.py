"""Motion fixtures: a stopped clock, and an area with a moderator, two property companies,
two departments and five households."""
import pytest

from consult import clock
from consult.accounts.models import OrganisationKind, Role

from .support import T0, organisation


@pytest.fixture(autouse=True)
def stopped_clock():
    clock.set_now(T0)
    yield
    clock.set_now(None)


@pytest.fixture
def area(tree, make_user, make_household):
    moderator = make_user("李书记", role=Role.moderator, place=tree.fc)
    manager = make_user("物业赵经理", role=Role.property_manager, place=tree.north)
    rival = make_user("另一物业", role=Role.property_manager, place=tree.north)
    officer = make_user("城管孙科长", role=Role.department_rep, place=tree.sub)
    police = make_user("派出所民警", role=Role.department_rep, place=tree.sub)
    company = organisation(tree.north, OrganisationKind.property_company, "富成物业", manager)
    other = organisation(tree.north, OrganisationKind.property_company, "另一家物业", rival)
    enforcement = organisation(tree.sub, OrganisationKind.department, "城管执法队", officer)
    station = organisation(tree.sub, OrganisationKind.department, "派出所", police)
    homes = [make_household(tree.e1, f"{i}01") for i in range(1, 6)]
    residents = [make_user(f"居民{i}", household=h) for i, h in enumerate(homes)]
    return type("Area", (), dict(moderator=moderator, manager=manager, rival=rival, officer=officer, police=police,
                                 company=company, other=other, enforcement=enforcement, station=station,
                                 homes=homes, residents=residents, tree=tree))
