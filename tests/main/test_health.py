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
