import os

import pytest

from tests.conftest import service_missing


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_checks_the_database(client):
    body = client.get("/readyz").get_json()
    assert body["status"] == "ok" and body["checks"] == {"database": "ok"}


@pytest.fixture
def redis_url():
    url = os.environ.get("CONSULT_TEST_REDIS_URL")
    if not url:
        service_missing("Redis (set CONSULT_TEST_REDIS_URL=redis://127.0.0.1:6379/0)")
    return url


def test_readyz_checks_a_real_message_queue(app, redis_url):
    app.config["SOCKETIO_MESSAGE_QUEUE"] = redis_url
    body = app.test_client().get("/readyz").get_json()
    assert body["checks"] == {"database": "ok", "message_queue": "ok"}


def test_readyz_reports_an_unreachable_message_queue(app):
    app.config["SOCKETIO_MESSAGE_QUEUE"] = "redis://127.0.0.1:1/0"
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["message_queue"] == "unreachable"


def test_an_unreachable_database_gives_a_clear_503_and_no_trace(tmp_path):
    """A database that does not answer (here: nothing listens on the port) is a 503 page
    that says to try again, for a signed-in page as for a form."""
    from consult import create_app
    from tests.conftest import config_for

    app = create_app(config_for("postgresql+psycopg://consult@127.0.0.1:9/nowhere?connect_timeout=2",
                                UPLOAD_DIR=str(tmp_path), WTF_CSRF_ENABLED=False))
    client = app.test_client()
    page = client.post("/login", data={"identifier": "13900000001", "password": "x"})
    text = page.get_data(as_text=True)
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "稍后" in text or "try again" in text
    assert "Traceback" not in text and "psycopg" not in text and "OperationalError" not in text
    api = client.get("/readyz")
    assert api.status_code == 503
    json_page = client.post("/login", data={"identifier": "x", "password": "x"}, headers={"Accept": "application/json"})
    assert json_page.status_code == 503 and json_page.get_json()["error"]["code"] == "database_unavailable"


def test_trusted_hosts_refuse_other_hosts(tmp_path):
    from consult import create_app
    from tests.conftest import config_for

    app = create_app(config_for(f"sqlite:///{tmp_path / 'x.db'}", TRUSTED_HOSTS=["consult.example.org"],
                                UPLOAD_DIR=str(tmp_path)))
    client = app.test_client()
    assert client.get("/healthz", base_url="http://consult.example.org").status_code == 200
    assert client.get("/healthz", base_url="http://elsewhere.example").status_code == 400
