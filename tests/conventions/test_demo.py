"""The demo area holds a building's convention in force and an amendment being drafted."""
from sqlalchemy import select

from consult.conventions.models import Convention, VersionState
from consult.extensions import db


def test_demo_holds_a_convention_in_force_with_an_amendment_drafted(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    convention = db.session.scalars(select(Convention)).one()
    assert [v.state for v in convention.versions] == [VersionState.adopted, VersionState.draft]
    assert len(convention.in_force.sha256) == 64 and convention.pending.reason
