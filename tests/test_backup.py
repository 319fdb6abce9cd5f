"""Backup and restore: a populated site restored into an empty database holds exactly the
same rows and the same uploaded files; a damaged or foreign backup is refused, and so is
one that is not signed by this installation or holds anything but what its manifest lists,
before anything of the site is changed."""
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import create_engine, inspect, select, text

from consult import create_app
from consult.backup import backup, restore, signature_for
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



# -- refusals: nothing of the site changes ---------------------------------------------------

EDITED = b"\xff\xd8edited photo\xff\xd9"


@pytest.fixture
def changed_site(populated, tmp_path):
    """The populated site backed up to good.tar.gz, then changed: a refused restore leaves
    the changes in place, an accepted one undoes them."""
    archive = tmp_path / "good.tar.gz"
    backup(archive)
    db.session.execute(text("UPDATE proposals SET title = '电梯已经修好'"))
    db.session.commit()
    (Path(populated.config["UPLOAD_DIR"]) / "photos" / "b.jpg").write_bytes(b"a later photo")
    return archive


def site_state(app) -> tuple:
    db.session.commit()
    uploads = Path(app.config["UPLOAD_DIR"])
    files = {p.relative_to(uploads).as_posix(): p.read_bytes() for p in uploads.rglob("*") if p.is_file()}
    return rows_of(app.config["SQLALCHEMY_DATABASE_URI"]), files


def refused(app, archive: Path, **options) -> str:
    """Restores ``archive`` over the site; asserts it is refused with nothing changed and
    returns the reason, in English."""
    before = site_state(app)
    assert before[0]["proposals"] and "photos/b.jpg" in before[1]
    with pytest.raises(InvalidInput) as refusal, force_locale("en"):
        restore(archive, force=True, **options)
    assert site_state(app) == before
    assert not Path(app.config["UPLOAD_DIR"] + ".restoring").exists()
    return refusal.value.message


def rebuilt(archive: Path, out: Path, *, change=lambda name, data: data, add=()) -> Path:
    """A copy of ``archive`` with each member's bytes passed through ``change`` (None drops
    the member) and the members ``add`` appended."""
    with tarfile.open(archive) as good, tarfile.open(out, "w:gz") as bad:
        for info in good.getmembers():
            data = change(info.name, good.extractfile(info).read())
            if data is None:
                continue
            info.size = len(data)
            bad.addfile(info, io.BytesIO(data))
        for info, data in add:
            bad.addfile(info, None if data is None else io.BytesIO(data))
    return out


def member(name: str, data: bytes = b"", kind=tarfile.REGTYPE, link: str = "") -> tuple:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    regular = kind == tarfile.REGTYPE
    info.size = len(data) if regular else 0
    return info, (data if regular else None)


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive) as opened:
        return json.loads(opened.extractfile("manifest.json").read())


def test_a_good_signed_backup_restores_over_the_site(changed_site, populated):
    before = site_state(populated)
    restored = restore(changed_site, force=True)
    assert restored.unverified is None
    rows, files = site_state(populated)
    assert rows["proposals"] != before[0]["proposals"]           # the later change is undone
    assert "电梯经常停运" in str(rows["proposals"])
    assert files == {"photos/a.jpg": b"\xff\xd8photo\xff\xd9"}


def test_a_backup_repacked_with_its_directories_restores(changed_site, populated, tmp_path):
    repacked = rebuilt(changed_site, tmp_path / "repacked.tar.gz",
                       add=[member("uploads", kind=tarfile.DIRTYPE), member("uploads/photos", kind=tarfile.DIRTYPE)])
    restore(repacked, force=True)
    assert site_state(populated)[1] == {"photos/a.jpg": b"\xff\xd8photo\xff\xd9"}


def test_a_file_the_manifest_does_not_list_is_refused(changed_site, populated, tmp_path):
    tampered = rebuilt(changed_site, tmp_path / "extra.tar.gz",
                       add=[member("uploads/photos/planted.jpg", b"not from this site")])
    assert "does not list" in refused(populated, tampered)


def test_a_file_the_manifest_lists_but_the_backup_lacks_is_refused(changed_site, populated, tmp_path):
    tampered = rebuilt(changed_site, tmp_path / "missing.tar.gz",
                       change=lambda name, data: None if name == "uploads/photos/a.jpg" else data)
    assert "lacks uploads/photos/a.jpg" in refused(populated, tampered)


def test_an_edited_file_is_refused_even_with_its_hash_recomputed(changed_site, populated, tmp_path):
    manifest = manifest_of(changed_site)
    manifest["files"]["uploads/photos/a.jpg"] = hashlib.sha256(EDITED).hexdigest()
    edited = {"uploads/photos/a.jpg": EDITED, "manifest.json": json.dumps(manifest).encode()}
    tampered = rebuilt(changed_site, tmp_path / "edited.tar.gz", change=lambda name, data: edited.get(name, data))
    assert "changed after it was made" in refused(populated, tampered)
    # Without the new hash, the file itself is found damaged.
    damaged = rebuilt(changed_site, tmp_path / "damaged.tar.gz",
                      change=lambda name, data: EDITED if name == "uploads/photos/a.jpg" else data)
    assert "does not match its hash" in refused(populated, damaged)


@pytest.mark.parametrize("signature, reason", [
    (lambda: signature_for(b"another manifest"), "changed after it was made"),
    (lambda: b"\x00not a signature", "cannot be read"),
    (lambda: json.dumps({"algorithm": "none", "key": "", "signature": ""}).encode(), "another key"),
])
def test_a_wrong_signature_is_refused(changed_site, populated, tmp_path, signature, reason):
    forged = signature()
    tampered = rebuilt(changed_site, tmp_path / "wrong.tar.gz",
                       change=lambda name, data: forged if name == "manifest.sig" else data)
    assert reason in refused(populated, tampered)


def test_a_backup_signed_with_another_key_is_refused(populated, tmp_path):
    populated.config["BACKUP_SIGNING_KEY"] = "the key of another installation"
    archive = tmp_path / "foreign.tar.gz"
    backup(archive)
    populated.config["BACKUP_SIGNING_KEY"] = None
    db.session.execute(text("UPDATE proposals SET title = '电梯已经修好'"))
    db.session.commit()
    (Path(populated.config["UPLOAD_DIR"]) / "photos" / "b.jpg").write_bytes(b"a later photo")
    assert "BACKUP_SIGNING_KEY" in refused(populated, archive)


def test_an_unsigned_backup_is_refused_unless_accepted(changed_site, populated, tmp_path):
    unsigned = rebuilt(changed_site, tmp_path / "unsigned.tar.gz",
                       change=lambda name, data: None if name == "manifest.sig" else data)
    assert "not signed" in refused(populated, unsigned)

    restored = restore(unsigned, force=True, accept_unsigned=True)
    with force_locale("en"):
        assert "not signed" in str(restored.unverified)
    rows, files = site_state(populated)
    assert "电梯经常停运" in str(rows["proposals"]) and "电梯已经修好" not in str(rows["proposals"])
    assert files == {"photos/a.jpg": b"\xff\xd8photo\xff\xd9"}


def test_accepting_unsigned_backups_still_checks_the_files(changed_site, populated, tmp_path):
    unsigned_extra = rebuilt(changed_site, tmp_path / "unsigned-extra.tar.gz",
                             change=lambda name, data: None if name == "manifest.sig" else data,
                             add=[member("uploads/photos/planted.jpg", b"not from this site")])
    assert "does not list" in refused(populated, unsigned_extra, accept_unsigned=True)


@pytest.mark.parametrize("entry, reason", [
    (lambda tmp: member("../escaped.jpg", b"out"), "unsafe name"),
    (lambda tmp: member("uploads/../../escaped.jpg", b"out"), "unsafe name"),
    (lambda tmp: member(str(tmp / "escaped.jpg"), b"out"), "unsafe name"),
    (lambda tmp: member("uploads/./photos/x.jpg", b"out"), "unsafe name"),
    (lambda tmp: member("uploads/photos/link.jpg", kind=tarfile.SYMTYPE, link="/etc/passwd"), "not a plain file"),
    (lambda tmp: member("uploads/photos/hard.jpg", kind=tarfile.LNKTYPE, link="manifest.json"), "not a plain file"),
    (lambda tmp: member("uploads/photos/tty", kind=tarfile.CHRTYPE), "not a plain file"),
    (lambda tmp: member("uploads/photos/pipe", kind=tarfile.FIFOTYPE), "not a plain file"),
    (lambda tmp: member("uploads/elsewhere", kind=tarfile.DIRTYPE), "does not list"),
    (lambda tmp: member("uploads/photos/a.jpg/x", kind=tarfile.DIRTYPE), "does not list"),
    (lambda tmp: member("uploads/photos/a.jpg", EDITED), "twice"),
], ids=["parent", "parent-inside", "absolute", "dot", "symlink", "hardlink", "device", "fifo", "directory",
        "directory-below-a-file", "duplicate"])
def test_a_member_that_is_not_a_plain_file_under_a_plain_name_is_refused(
        changed_site, populated, tmp_path, entry, reason):
    tampered = rebuilt(changed_site, tmp_path / "odd.tar.gz", add=[entry(tmp_path)])
    assert reason in refused(populated, tampered)
    assert not (tmp_path / "escaped.jpg").exists()


def test_an_unsafe_name_is_refused_even_when_signed(changed_site, populated, tmp_path):
    """The checks of the archive do not rest on the signature alone."""
    manifest = manifest_of(changed_site)
    manifest["files"]["uploads/../escaped.jpg"] = hashlib.sha256(b"out").hexdigest()
    data = json.dumps(manifest).encode()
    forged = {"manifest.json": data, "manifest.sig": signature_for(data)}
    tampered = rebuilt(changed_site, tmp_path / "signed-odd.tar.gz", change=lambda n, d: forged.get(n, d),
                       add=[member("uploads/../escaped.jpg", b"out")])
    assert "unsafe name" in refused(populated, tampered)
    assert not (tmp_path / "escaped.jpg").exists()


def test_another_installation_restores_with_the_same_backup_key(populated, empty_database, tmp_path):
    populated.config["BACKUP_SIGNING_KEY"] = "the key kept in the password safe"
    archive = tmp_path / "b.tar.gz"
    backup(archive)
    before = rows_of(populated.config["SQLALCHEMY_DATABASE_URI"])

    elsewhere = dict(UPLOAD_DIR=str(tmp_path / "restored-uploads"), SECRET_KEY="another secret key")
    stranger = create_app(config_for(empty_database, **elsewhere))
    with stranger.app_context():
        with pytest.raises(InvalidInput):
            restore(archive)
        assert not (tmp_path / "restored-uploads").exists()
        db.engine.dispose()
    same_key = create_app(config_for(empty_database, BACKUP_SIGNING_KEY="the key kept in the password safe",
                                     **elsewhere))
    with same_key.app_context():
        restore(archive)
        assert rows_of(empty_database) == before
        db.engine.dispose()


def test_the_restore_command_refuses_with_a_message_and_accepts_when_told(changed_site, runner, tmp_path):
    unsigned = rebuilt(changed_site, tmp_path / "unsigned.tar.gz",
                       change=lambda name, data: None if name == "manifest.sig" else data)
    result = runner.invoke(args=["restore", "--force", str(unsigned)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "--accept-unsigned" in result.output and "Traceback" not in result.output

    stray = tmp_path / "stray.tar.gz"
    stray.write_bytes(b"\x1f\x8b not really gzip")
    result = runner.invoke(args=["restore", "--force", str(stray)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output

    result = runner.invoke(args=["restore", "--force", "--accept-unsigned", str(unsigned)])
    assert result.exit_code == 0, result.output
    assert "--accept-unsigned" in result.output and "restored the backup" in result.output
