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


def test_demo_holds_party_organisations_a_roster_and_partners(app, runner):
    from consult.accounts import service as accounts
    from consult.accounts.models import Organisation, OrganisationKind, OrganisationMember
    from consult.motions import service as motions
    from consult.places.models import Place

    assert runner.invoke(args=["demo"]).exit_code == 0
    kinds = set(db.session.scalars(select(Organisation.kind)))
    assert {OrganisationKind.party_committee, OrganisationKind.party_branch, OrganisationKind.party_group} <= kinds
    assert db.session.scalars(select(OrganisationMember).where(OrganisationMember.public_identity)).all()
    community = db.session.scalars(select(Place).where(Place.name == "富成花园社区")).one()
    place, roster = motions.standing_responders(community)
    assert place == community and len(roster) == 4
    assert len(accounts.partners_of(community)) == 2
