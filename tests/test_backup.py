"""Backup and restore: a populated site restored into an empty database holds exactly the
same rows and the same uploaded files; a damaged or foreign backup is refused."""
import io
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from consult import create_app
from consult.backup import backup, restore
from consult.database import unit_of_work
from consult.errors import Conflict, InvalidInput
from consult.extensions import db
from consult.proposals import service as proposals
from consult.proposals.models import Category

from .conftest import config_for


def rows_of(uri: str) -> dict[str, list]:
    engine = create_engine(uri)
    out = {}
    with engine.connect() as connection:
        for table in sorted(inspect(engine).get_table_names()):
            out[table] = [tuple(map(str, row)) for row in connection.execute(text(f'SELECT * FROM "{table}"'))]
            out[table].sort()
    engine.dispose()
    return out


@pytest.fixture
def populated(app, tree, make_user, make_household):
    resident = make_user("王秀英", phone="13900000001", household=make_household(tree.e1, "101"))
    category = db.session.scalars(select(Category)).first()
    with unit_of_work():
        proposals.raise_proposal(tree.b1, actor=resident, title="电梯经常停运", body="三天两头坏", category=category)
    uploads = Path(app.config["UPLOAD_DIR"])
    (uploads / "photos").mkdir(parents=True, exist_ok=True)
    (uploads / "photos" / "a.jpg").write_bytes(b"\xff\xd8photo\xff\xd9")
    db.session.commit()
    return app


def test_a_backup_restores_into_an_empty_database_exactly(populated, empty_database, tmp_path):
    source_uri = populated.config["SQLALCHEMY_DATABASE_URI"]
    archive = tmp_path / "consult-backup.tar.gz"
    manifest = backup(archive)
    assert manifest["revision"] and "uploads/photos/a.jpg" in manifest["files"]
    before = rows_of(source_uri)
    assert before["proposals"] and before["audit_entries"]

    target = create_app(config_for(empty_database, UPLOAD_DIR=str(tmp_path / "restored-uploads")))
    with target.app_context():
        restore(archive)
        assert rows_of(empty_database) == before
        assert (tmp_path / "restored-uploads" / "photos" / "a.jpg").read_bytes() == b"\xff\xd8photo\xff\xd9"
        with pytest.raises(Conflict):
            restore(archive)                      # it is not empty any more
        restore(archive, force=True)
        assert rows_of(empty_database) == before
        db.engine.dispose()


def test_a_damaged_backup_is_refused(populated, empty_database, tmp_path):
    archive = tmp_path / "consult-backup.tar.gz"
    backup(archive)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as good, tarfile.open(damaged, "w:gz") as bad:
        for member in good.getmembers():
            data = good.extractfile(member).read()
            if member.name == "uploads/photos/a.jpg":
                data = data.replace(b"photo", b"PHOTO")
            member.size = len(data)
            bad.addfile(member, io.BytesIO(data))
    target = create_app(config_for(empty_database, UPLOAD_DIR=str(tmp_path / "restored-uploads")))
    with target.app_context():
        with pytest.raises(InvalidInput):
            restore(damaged)
        db.engine.dispose()


def test_a_file_that_is_no_backup_is_refused(populated, empty_database, tmp_path):
    stray = tmp_path / "photo.tar.gz"
    stray.write_bytes(b"\xff\xd8 not a backup")
    target = create_app(config_for(empty_database, UPLOAD_DIR=str(tmp_path / "restored-uploads")))
    with target.app_context():
        with pytest.raises(InvalidInput):
            restore(stray)
        db.engine.dispose()


def test_the_commands(populated, runner, tmp_path):
    archive = tmp_path / "b.tar.gz"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0 and archive.exists(), result.output
    refused = runner.invoke(args=["restore", str(archive)])
    assert refused.exit_code == 1 and "--force" in refused.output
