"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from consult.extensions import db


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_every_migration_runs_down_and_up_again_on_a_populated_database(empty_database):
    """Step by step from the newest schema down to the first and back, with a council, its
    minutes and a motion in place: nothing fails, and what the first schema holds stays."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import func, select

    from consult import create_app
    from consult.accounts.models import User
    from consult.database import unit_of_work
    from consult.meetings import service as meetings
    from consult.meetings.models import Meeting
    from consult.minutes.models import Minutes
    from consult.places.models import Place
    from tests.conftest import config_for
    from tests.live import council

    app = create_app(config_for(empty_database))
    with app.app_context():
        upgrade()
        meeting_id = council(empty_database)
        with app.test_request_context():
            meeting = db.session.get(Meeting, meeting_id)
            moderator = db.session.scalar(select(User).where(User.username == "moderator"))
            for step in ("start", "end"):
                with unit_of_work():
                    meetings.change_state(meeting, step, actor=moderator)
            assert db.session.scalar(select(func.count()).select_from(Minutes)) == 1
            counts = (db.session.scalar(select(func.count()).select_from(Place)),
                      db.session.scalar(select(func.count()).select_from(User)))
        db.session.remove()
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
        for revision in reversed(revisions[:-1]):          # down to the first, one at a time
            downgrade(revision=revision)
        for revision in revisions[1:]:                     # and up again
            upgrade(revision=revision)
        assert (db.session.scalar(select(func.count()).select_from(Place)),
                db.session.scalar(select(func.count()).select_from(User))) == counts
        db.session.remove()
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()
