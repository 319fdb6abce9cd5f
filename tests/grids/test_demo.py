"""The demo area shows a nested grid with its leader and the report chain in use."""
from sqlalchemy import select

from consult.accounts.models import Role, RoleGrant
from consult.extensions import db
from consult.grids.models import Report, ReportState
from consult.places.models import Grid


def test_demo_holds_a_large_grid_with_a_leader_and_reports_at_every_step(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    large = db.session.scalars(select(Grid).where(Grid.name == "第一大网格")).one()
    assert len(large.children) == 2 and not large.buildings
    leader = db.session.scalars(select(RoleGrant).where(RoleGrant.role == Role.grid_leader)).one()
    assert leader.grid_id == large.id
    found = list(db.session.scalars(select(Report)))
    assert sorted(r.state.value for r in found) == sorted(["settled", "dispatched", "raised", "raised"])
    assert all(r.grid.parent_id == large.id for r in found)
    assert sum(1 for r in found if r.escalated_at is not None) == 1
    dispatched = next(r for r in found if r.state is ReportState.dispatched)
    assert dispatched.motion is not None and dispatched.motion.lead.organisation.kind.value == "property_company"
