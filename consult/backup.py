"""Back up and restore the whole site: the database and the uploaded photos and PDFs, in
one .tar.gz with a manifest of SHA-256 hashes. SQLite is copied with its online backup
(a consistent snapshot while the site runs); PostgreSQL with pg_dump / pg_restore, the
tools made for it. A backup restores into a database of the same engine."""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from .errors import Conflict, InvalidInput
from .extensions import db

FORMAT = 1
# PostgreSQL: the secret ballot box, copied apart in receipt order (see _pg_dump).
BOX = "ballot_box.copy"
BOX_COLUMNS = "ballot_id, receipt, choice, area"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq(url) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _revision() -> str | None:
    if "alembic_version" not in inspect(db.engine).get_table_names():
        return None
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _pg_dump(url, dump: Path, box: Path) -> None:
    """pg_dump copies each table in its physical order, and the rows of an open secret
    ballot sit in ballot_box in the order they were cast. So the box's rows are left out
    of the dump and copied apart, sorted by receipt, from the same snapshot; a restore
    loads them after the dump."""
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--snapshot", snapshot,
                            "--exclude-table-data=public.ballot_box", "--file", str(dump), _libpq(url)],
                           check=True, capture_output=True)
            cursor = connection.connection.driver_connection.cursor()
            with box.open("wb") as out, cursor.copy(f"COPY (SELECT {BOX_COLUMNS} FROM ballot_box "
                                                    "ORDER BY ballot_id, receipt) TO STDOUT") as copy:
                for block in copy:
                    out.write(block)
            cursor.close()


def backup(target: Path) -> dict:
    """Write the backup to ``target`` (a .tar.gz); returns its manifest."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    uploads = Path(current_app.config["UPLOAD_DIR"])
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        if url.get_backend_name() == "sqlite":
            name = "database.sqlite"
            source = sqlite3.connect(url.database)
            copy = sqlite3.connect(work / name)
            with copy:
                source.backup(copy)
            # Rebuilt table by table in key order: the secret ballot box (a WITHOUT ROWID
            # table keyed by random receipts) keeps no trace of the order in which its
            # cells were written, and no freed page keeps old rows.
            copy.execute("VACUUM")
            copy.close()
            source.close()
        elif url.get_backend_name() == "postgresql":
            name = "database.dump"
            _pg_dump(url, work / name, work / BOX)
        else:
            raise InvalidInput(_l("This database engine cannot be backed up here."))
        files = {name: _sha256(work / name)}
        if (work / BOX).exists():
            files[BOX] = _sha256(work / BOX)
        upload_files = sorted(p for p in uploads.rglob("*") if p.is_file() and not p.name.endswith(".part")) \
            if uploads.exists() else []
        for path in upload_files:
            files[f"uploads/{path.relative_to(uploads).as_posix()}"] = _sha256(path)
        manifest = {"format": FORMAT, "engine": url.get_backend_name(), "revision": _revision(),
                    "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "files": files}
        target.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(target, "w:gz") as archive:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(work / name, arcname=name)
            if BOX in files:
                archive.add(work / BOX, arcname=BOX)
            for path in upload_files:
                archive.add(path, arcname=f"uploads/{path.relative_to(uploads).as_posix()}")
    return manifest


def _is_empty() -> bool:
    tables = set(inspect(db.engine).get_table_names())
    if "places" not in tables:
        return True
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM places")).scalar() == 0


def restore(source: Path, *, force: bool = False) -> dict:
    """Put the backup at ``source`` in place of this site's database and uploads. An empty
    database is filled; one with places is replaced only when ``force`` is given."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    uploads = Path(current_app.config["UPLOAD_DIR"])
    if not force and not _is_empty():
        raise Conflict(_l("This database is not empty: restoring would replace it. Use --force to replace it."))
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        try:
            with tarfile.open(source, "r:gz") as archive:
                archive.extractall(work, filter="data")
            manifest = json.loads((work / "manifest.json").read_text("utf-8"))
        except (OSError, tarfile.TarError, ValueError) as error:
            raise InvalidInput(_l("This is not a backup of this version of Consult.")) from error
        if manifest.get("format") != FORMAT:
            raise InvalidInput(_l("This is not a backup of this version of Consult."))
        if manifest["engine"] != url.get_backend_name():
            raise InvalidInput(_l("This backup is of another database engine (%(engine)s).", engine=manifest["engine"]))
        for name, digest in manifest["files"].items():
            if not (work / name).is_file() or _sha256(work / name) != digest:
                raise InvalidInput(_l("The backup is damaged: %(name)s does not match its hash.", name=name))
        db.session.remove()
        db.engine.dispose()
        if manifest["engine"] == "sqlite":
            backup_db = sqlite3.connect(work / "database.sqlite")
            live = sqlite3.connect(url.database)
            with live:
                backup_db.backup(live)    # all pages in one step: one write transaction
            live.close()
            backup_db.close()
        else:
            # The old schema goes and the backup comes in one transaction: a restore that
            # fails half-way leaves the database as it was.
            script = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--file", "-",
                                     str(work / "database.dump")], check=True, capture_output=True).stdout
            box = b""
            if (work / BOX).exists():   # the secret ballot box, in receipt order
                box = (f"COPY public.ballot_box ({BOX_COLUMNS}) FROM stdin;\n".encode()
                       + (work / BOX).read_bytes() + b"\\.\n")
            subprocess.run(["psql", "--quiet", "--single-transaction", "--set", "ON_ERROR_STOP=1", "--file", "-",
                            _libpq(url)], input=b"DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n" + script + box,
                           check=True, capture_output=True)
        # The uploads are swapped whole, so that no mixture of old and new files is left.
        incoming = uploads.with_name(uploads.name + ".restoring")
        shutil.rmtree(incoming, ignore_errors=True)
        if (work / "uploads").exists():
            shutil.copytree(work / "uploads", incoming)
        else:
            incoming.mkdir(parents=True)
        outgoing = uploads.with_name(uploads.name + ".replaced")
        if uploads.exists():
            uploads.rename(outgoing)
        incoming.rename(uploads)
        shutil.rmtree(outgoing, ignore_errors=True)
    return manifest
