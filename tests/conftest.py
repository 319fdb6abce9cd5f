"""Fixtures: an app on a freshly migrated database for every test, factories for places,
households and people, and a client that posts real forms with their CSRF token.

SQLite by default; a real PostgreSQL server when CONSULT_TEST_DATABASE_URL is set. With
CONSULT_REQUIRE_SERVICES=1 (CI) a missing service fails the run instead of skipping.
"""
from __future__ import annotations

import os
import re
import shutil
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import TestConfig
from consult import create_app
from consult.accounts.models import Role, RoleGrant, User
from consult.accounts.passwords import hash_password
from consult.extensions import db
from consult.places.models import Household, HouseholdMember, Place, PlaceKind, Relation

PG_URL = os.environ.get("CONSULT_TEST_DATABASE_URL")
REQUIRE_SERVICES = os.environ.get("CONSULT_REQUIRE_SERVICES") == "1"
PASSWORD = "correct horse 278"


def service_missing(reason: str):
    """Skip loudly on a developer's machine; fail in CI, where nothing may be skipped."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(f"SERVICE MISSING, TEST NOT RUN: {reason}")


def config_for(uri: str, **overrides):
    return type("PerTestConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri, **overrides})


def migrate_to_head(uri: str) -> None:
    from flask_migrate import upgrade

    app = create_app(config_for(uri))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def reset_postgres(uri: str) -> None:
    engine = create_engine(uri)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A database migrated to the newest revision once per run: for SQLite a file copied
    for every test, for PostgreSQL the server's database, truncated after every test."""
    if PG_URL:
        reset_postgres(PG_URL)
        migrate_to_head(PG_URL)
        _remember_seeded_rows(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("db") / "template.db"
    migrate_to_head(f"sqlite:///{path}")
    return path


# Reference data written by the migrations themselves: kept between tests, and put back
# as it was if a test changed it.
SEEDED_TABLES = ("proposal_categories",)
_seeded_rows: dict[str, list[dict]] = {}


def _remember_seeded_rows(uri: str) -> None:
    engine = create_engine(uri)
    with engine.connect() as conn:
        for name in SEEDED_TABLES:
            _seeded_rows[name] = [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {name}"))]
    engine.dispose()


def _truncate_postgres():
    tables = [t.name for t in db.metadata.sorted_tables if t.name not in SEEDED_TABLES]
    db.session.rollback()
    db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    for name in SEEDED_TABLES:
        table = db.metadata.tables[name]
        rows = _seeded_rows[name]
        db.session.execute(table.delete().where(table.c.id.not_in([r["id"] for r in rows])))
        for row in rows:
            db.session.execute(table.update().where(table.c.id == row["id"]).values(**row))
    db.session.commit()


class FormClient(FlaskClient):
    """A test client whose ``post_form`` sends the page's CSRF token like a browser.

    Each request runs in an application context of its own, as in a server: its own
    database session and its own ``g`` (where the signed-in user is cached). The test's
    own transaction is ended before and after, so that it holds no lock meanwhile and
    then sees what the request committed (a SQLite transaction reads one snapshot)."""

    def open(self, *args, **kwargs):
        db.session.commit()
        context = self.application.app_context()
        context.push()
        try:
            return super().open(*args, **kwargs)
        finally:
            context.pop()
            db.session.commit()

    def csrf_token(self) -> str:
        page = self.get("/").get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, "no CSRF token on the home page"
        return match.group(1)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)


@pytest.fixture
def app(database_template, tmp_path):
    if PG_URL:
        uri = PG_URL
    else:
        copy = tmp_path / "test.db"
        shutil.copy(database_template, copy)
        uri = f"sqlite:///{copy}"
    app = create_app(config_for(uri, UPLOAD_DIR=str(tmp_path / "uploads")))
    app.test_client_class = FormClient
    with app.app_context():
        yield app
        db.session.remove()
        if PG_URL:
            _truncate_postgres()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, identifier: str, password: str = PASSWORD, **kwargs):
        return self._client.post_form("/login", {"identifier": identifier, "password": password}, **kwargs)

    def logout(self):
        return self._client.post_form("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


# --- factories -----------------------------------------------------------------------------

@pytest.fixture
def make_place(app):
    def make(kind: str | PlaceKind, name: str, parent: Place | None = None) -> Place:
        place = Place(kind=PlaceKind(kind), name=name, parent=parent)
        db.session.add(place)
        db.session.flush()
        place.path = f"{parent.path if parent else '/'}{place.id}/"
        db.session.commit()
        return place
    return make


@pytest.fixture
def tree(make_place):
    """A small area: a subdistrict, two communities, a compound, buildings and entrances."""
    sub = make_place("subdistrict", "大屯街道")
    fc = make_place("community", "富成花园社区", sub)
    jm = make_place("community", "嘉铭园社区", sub)
    north = make_place("compound", "富成花园北区", fc)
    b1 = make_place("building", "1号楼", north)
    b2 = make_place("building", "2号楼", north)
    e1 = make_place("entrance", "1单元", b1)
    e2 = make_place("entrance", "2单元", b1)
    jb = make_place("building", "8号楼", jm)
    return type("Tree", (), dict(sub=sub, fc=fc, jm=jm, north=north, b1=b1, b2=b2, e1=e1, e2=e2, jb=jb))


@pytest.fixture
def make_household(app):
    def make(place: Place, room: str = "101", area: str = "88.50") -> Household:
        household = Household(place=place, room=room, area=Decimal(area))
        db.session.add(household)
        db.session.commit()
        return household
    return make


_phones = iter(range(13800000000, 13899999999))


@pytest.fixture
def make_user(app):
    def make(name: str = "王小明", *, phone: str | None = None, username: str | None = None,
             password: str | None = PASSWORD, household: Household | None = None,
             relation: Relation = Relation.owner, role: Role | None = None,
             place: Place | None = None, grid=None) -> User:
        user = User(name=name, phone=phone or str(next(_phones)), username=username,
                    password_hash=hash_password(password) if password else None)
        db.session.add(user)
        if household is not None:
            voter = relation is Relation.owner and household.designated_voter is None
            db.session.add(HouseholdMember(household=household, user=user, relation=relation,
                                           is_designated_voter=voter))
        if role is not None:
            db.session.add(RoleGrant(user=user, role=role, place=place, grid=grid))
        db.session.commit()
        return user
    return make


@pytest.fixture
def admin(make_user):
    """An installation-wide administrator."""
    return make_user("管理员", username="admin", role=Role.administrator)


@pytest.fixture
def empty_database(tmp_path):
    """The URL of an empty database of the engine under test, dropped afterwards."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = make_url(PG_URL)
    name = f"{url.database}_empty"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    yield url.set(database=name).render_as_string(hide_password=False)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()
