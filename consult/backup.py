"""Back up and restore the whole site: the database and the uploaded photos and PDFs, in
one .tar.gz with a manifest of SHA-256 hashes. SQLite is copied with its online backup
(a consistent snapshot while the site runs); PostgreSQL with pg_dump / pg_restore, the
tools made for it. A backup restores into a database of the same engine.

The manifest is signed (``manifest.sig``: HMAC-SHA256 over its exact bytes) with a key the
installation holds outside its backups: ``BACKUP_SIGNING_KEY``, or when that is not set a
key derived from ``SECRET_KEY``. A restore reads the whole archive before it writes
anything: it refuses a backup whose signature is missing or wrong (unless the operator
accepts that explicitly), and one that holds anything but exactly the files its manifest
lists, each a plain file under a plain name with the listed hash."""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from .errors import Conflict, DomainError, InvalidInput
from .extensions import db

FORMAT = 1
# PostgreSQL: the secret ballot box, copied apart in receipt order (see _pg_dump).
BOX = "ballot_box.copy"
BOX_COLUMNS = "ballot_id, receipt, choice, area"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
ALGORITHM = "HMAC-SHA256"
DATABASE_FILES = {"sqlite": "database.sqlite", "postgresql": "database.dump"}
# The label of the key derived from SECRET_KEY when BACKUP_SIGNING_KEY is not set: fixed,
# so that the same SECRET_KEY always gives the same backup key, and a key of its own, so
# that nothing signed for sessions is ever a valid backup signature.
DERIVED_KEY_LABEL = b"consult backup manifest signature v1"


@dataclass
class Restored:
    manifest: dict
    # Why the signature was not verified, when the operator accepted that; else None.
    unverified: object = None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq(url) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(args: list[str], **kwargs) -> bytes:
    try:
        return subprocess.run(args, check=True, capture_output=True, **kwargs).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", None) or b""
        detail = detail.decode("utf-8", "replace").strip() if isinstance(detail, bytes) else str(detail)
        raise DomainError(_l("%(tool)s failed: %(error)s", tool=args[0], error=detail or str(error))) from error


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup, all pages in one step: one write transaction on ``target``."""
    try:
        source_db = sqlite3.connect(source)
        target_db = sqlite3.connect(target)
        try:
            with target_db:
                source_db.backup(target_db)
        finally:
            target_db.close()
            source_db.close()
    except sqlite3.Error as error:
        raise DomainError(_l("%(tool)s failed: %(error)s", tool="SQLite", error=str(error))) from error


def _vacuum(path: Path) -> None:
    """Rebuild the copy table by table in key order: the secret ballot box (a WITHOUT ROWID
    table keyed by random receipts) keeps no trace of the order in which its cells were
    written, and no freed page keeps old rows."""
    try:
        connection = sqlite3.connect(path)
        try:
            connection.execute("VACUUM")
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise DomainError(_l("%(tool)s failed: %(error)s", tool="SQLite", error=str(error))) from error


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
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--snapshot", snapshot,
                  "--exclude-table-data=public.ballot_box", "--file", str(dump), _libpq(url)])
            cursor = connection.connection.driver_connection.cursor()
            with box.open("wb") as out, cursor.copy(f"COPY (SELECT {BOX_COLUMNS} FROM ballot_box "
                                                    "ORDER BY ballot_id, receipt) TO STDOUT") as copy:
                for block in copy:
                    out.write(block)
            cursor.close()


# -- the signature ------------------------------------------------------------------------

def signing_key_source() -> str:
    """The setting the backup key comes from: ``BACKUP_SIGNING_KEY`` or ``SECRET_KEY``."""
    return "BACKUP_SIGNING_KEY" if current_app.config.get("BACKUP_SIGNING_KEY") else "SECRET_KEY"


def _signing_key() -> bytes:
    key = current_app.config.get("BACKUP_SIGNING_KEY")
    if key:
        return key if isinstance(key, bytes) else key.encode("utf-8")
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else secret.encode("utf-8")
    # HKDF-SHA256 (RFC 5869) without salt, one block: extract, then expand with the label.
    pseudo_random = hmac.new(b"\0" * 32, secret, hashlib.sha256).digest()
    return hmac.new(pseudo_random, DERIVED_KEY_LABEL + b"\x01", hashlib.sha256).digest()


def _key_id(key: bytes) -> str:
    """Names the key without revealing it, so that a restore can tell "another key" from
    "changed since it was signed"."""
    return hmac.new(key, b"consult backup key id", hashlib.sha256).hexdigest()[:16]


def signature_for(manifest: bytes) -> bytes:
    """The content of ``manifest.sig`` for these exact manifest bytes."""
    key = _signing_key()
    return json.dumps({"algorithm": ALGORITHM, "key": _key_id(key),
                       "signature": hmac.new(key, manifest, hashlib.sha256).hexdigest()}).encode("ascii")


def _signature_problem(manifest: bytes, signature: bytes | None):
    """None when ``signature`` is this installation's signature of ``manifest``; else why not."""
    if signature is None:
        return _l("The backup is not signed: nothing shows that this installation made it. Restore it only "
                  "if you know where it comes from, with --accept-unsigned.")
    key = _signing_key()
    try:
        stated = json.loads(signature.decode("ascii"))
        algorithm, key_id, given = stated["algorithm"], stated["key"], bytes.fromhex(stated["signature"])
    except (UnicodeDecodeError, ValueError, TypeError, KeyError):
        return _l("The backup's signature cannot be read.")
    if algorithm != ALGORITHM or not isinstance(key_id, str) \
            or not hmac.compare_digest(key_id.encode("utf-8"), _key_id(key).encode("ascii")):
        return _l("The backup was signed with another key than this installation's. To restore it here, "
                  "set BACKUP_SIGNING_KEY to the key of the installation that made it (or, if you know where "
                  "it comes from, use --accept-unsigned).")
    if not hmac.compare_digest(given, hmac.new(key, manifest, hashlib.sha256).digest()):
        return _l("The backup's signature does not match its manifest: the backup was changed after it was made.")
    return None


# -- backup -------------------------------------------------------------------------------

def backup(target: Path) -> dict:
    """Write the backup to ``target`` (a .tar.gz); returns its manifest."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    uploads = Path(current_app.config["UPLOAD_DIR"])
    name = DATABASE_FILES.get(url.get_backend_name())
    if name is None:
        raise InvalidInput(_l("This database engine cannot be backed up here."))
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        if url.get_backend_name() == "sqlite":
            _sqlite_copy(Path(url.database), work / name)
            _vacuum(work / name)
        else:
            _pg_dump(url, work / name, work / BOX)
        files = {name: _sha256(work / name)}
        if (work / BOX).exists():
            files[BOX] = _sha256(work / BOX)
        upload_files = sorted(p for p in uploads.rglob("*") if p.is_file() and not p.name.endswith(".part")) \
            if uploads.exists() else []
        for path in upload_files:
            files[f"uploads/{path.relative_to(uploads).as_posix()}"] = _sha256(path)
        manifest = {"format": FORMAT, "engine": url.get_backend_name(), "revision": _revision(),
                    "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "files": files}
        data = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with tarfile.open(target, "w:gz") as archive:
                for member_name, content in ((MANIFEST, data), (SIGNATURE, signature_for(data))):
                    info = tarfile.TarInfo(member_name)
                    info.size = len(content)
                    archive.addfile(info, io.BytesIO(content))
                archive.add(work / name, arcname=name)
                if BOX in files:
                    archive.add(work / BOX, arcname=BOX)
                for path in upload_files:
                    archive.add(path, arcname=f"uploads/{path.relative_to(uploads).as_posix()}")
        except OSError as error:
            raise InvalidInput(_l("The backup could not be written: %(error)s", error=str(error))) from error
    return manifest


# -- restore ------------------------------------------------------------------------------

def _is_empty() -> bool:
    tables = set(inspect(db.engine).get_table_names())
    if "places" not in tables:
        return True
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM places")).scalar() == 0


def printable(name: str) -> str:
    """A member's name as it may be printed: no control characters, not endless."""
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in name)
    return shown if len(shown) <= 200 else shown[:200] + "…"


def _plain_name(name: str) -> bool:
    """A relative POSIX path with no empty, ``.`` or ``..`` part: it stays inside the
    directory it is written into."""
    if not name or name.startswith("/") or "\\" in name or "\0" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def _not_a_backup() -> InvalidInput:
    return InvalidInput(_l("This is not a backup of this version of Consult."))


def _read_manifest(data: bytes, engine: str) -> dict:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except ValueError as error:
        raise _not_a_backup() from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise _not_a_backup()
    if manifest.get("engine") != engine:
        raise InvalidInput(_l("This backup is of another database engine (%(engine)s).",
                              engine=printable(str(manifest.get("engine")))))
    files = manifest["files"]
    database = DATABASE_FILES[engine]
    own = {database, BOX} if engine == "postgresql" else {database}
    if database not in files or any(name not in own and not name.startswith("uploads/") for name in files):
        raise _not_a_backup()
    return manifest


def _unpack(source: Path, work: Path, engine: str, accept_unsigned: bool) -> Restored:
    """Check the whole archive and write the files its manifest lists into ``work``."""
    try:
        with tarfile.open(source, "r:gz") as archive:
            members: dict[str, tarfile.TarInfo] = {}
            directories: set[str] = set()    # as tar adds them when a backup is repacked
            for entry in archive.getmembers():
                if not _plain_name(entry.name):
                    raise InvalidInput(_l("The backup holds a file with an unsafe name (%(name)s): it is refused.",
                                          name=printable(entry.name)))
                if entry.isdir():
                    directories.add(entry.name)
                    continue
                if not entry.isreg():
                    raise InvalidInput(_l("The backup holds %(name)s, which is not a plain file: it is refused.",
                                          name=printable(entry.name)))
                if entry.name in members:
                    raise InvalidInput(_l("The backup holds %(name)s twice: it is refused.", name=printable(entry.name)))
                members[entry.name] = entry
            if MANIFEST not in members:
                raise _not_a_backup()
            data = archive.extractfile(members.pop(MANIFEST)).read()
            signature = archive.extractfile(members.pop(SIGNATURE)).read() if SIGNATURE in members else None
            problem = _signature_problem(data, signature)
            if problem is not None and not accept_unsigned:
                raise InvalidInput(problem)
            manifest = _read_manifest(data, engine)
            listed = manifest["files"]
            # A directory entry is let through only as the parent of a listed file: none is
            # made from the archive, only the parents the listed files need.
            parents = {name.rsplit("/", depth)[0] for name in listed for depth in range(1, name.count("/") + 1)}
            for name in sorted(members.keys() | (directories - parents)):
                if name not in listed:
                    raise InvalidInput(_l("The backup holds %(name)s, which its manifest does not list: it is refused.",
                                          name=printable(name)))
            for name in sorted(listed):
                if name not in members:
                    raise InvalidInput(_l("The backup lacks %(name)s, which its manifest lists: it is refused.",
                                          name=printable(name)))
            for name in sorted(listed):
                target = work / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with archive.extractfile(members[name]) as content, target.open("xb") as out:
                    for chunk in iter(lambda: content.read(1 << 20), b""):
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != listed[name]:
                    raise InvalidInput(_l("The backup is damaged: %(name)s does not match its hash.",
                                          name=printable(name)))
    except (OSError, EOFError, zlib.error, tarfile.TarError) as error:
        if isinstance(error, OSError) and error.errno is not None:    # e.g. the disk is full
            raise DomainError(_l("The backup could not be unpacked: %(error)s", error=str(error))) from error
        raise _not_a_backup() from error
    return Restored(manifest, problem)


def restore(source: Path, *, force: bool = False, accept_unsigned: bool = False) -> Restored:
    """Put the backup at ``source`` in place of this site's database and uploads. An empty
    database is filled; one with places is replaced only when ``force`` is given. Nothing
    is written before the whole archive is checked; a backup without this installation's
    signature is refused unless ``accept_unsigned`` is given."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    engine = url.get_backend_name()
    uploads = Path(current_app.config["UPLOAD_DIR"])
    if engine not in DATABASE_FILES:
        raise InvalidInput(_l("This database engine cannot be backed up here."))
    if not force and not _is_empty():
        raise Conflict(_l("This database is not empty: restoring would replace it. Use --force to replace it."))
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        restored = _unpack(source, work, engine, accept_unsigned)
        # The uploads are made ready beside the site before the database is touched, and
        # swapped whole afterwards, so that no mixture of old and new files is left.
        incoming = uploads.with_name(uploads.name + ".restoring")
        shutil.rmtree(incoming, ignore_errors=True)
        try:
            if (work / "uploads").exists():
                shutil.copytree(work / "uploads", incoming)
            else:
                incoming.mkdir(parents=True)
        except OSError as error:
            shutil.rmtree(incoming, ignore_errors=True)
            raise DomainError(_l("The backup could not be unpacked: %(error)s", error=str(error))) from error
        db.session.remove()
        db.engine.dispose()
        try:
            if engine == "sqlite":
                _sqlite_copy(work / DATABASE_FILES[engine], Path(url.database))
            else:
                # The old schema goes and the backup comes in one transaction: a restore
                # that fails half-way leaves the database as it was.
                script = _run(["pg_restore", "--no-owner", "--no-privileges", "--file", "-",
                               str(work / DATABASE_FILES[engine])])
                box = b""
                if (work / BOX).exists():   # the secret ballot box, in receipt order
                    box = (f"COPY public.ballot_box ({BOX_COLUMNS}) FROM stdin;\n".encode()
                           + (work / BOX).read_bytes() + b"\\.\n")
                _run(["psql", "--quiet", "--single-transaction", "--set", "ON_ERROR_STOP=1", "--file", "-",
                      _libpq(url)], input=b"DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n" + script + box)
        except BaseException:
            shutil.rmtree(incoming, ignore_errors=True)
            raise
        outgoing = uploads.with_name(uploads.name + ".replaced")
        if uploads.exists():
            uploads.rename(outgoing)
        incoming.rename(uploads)
        shutil.rmtree(outgoing, ignore_errors=True)
    return restored
