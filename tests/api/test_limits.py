"""Rate limits per token and per address: in memory by default, in Redis when configured."""
import os
import secrets


from tests.conftest import config_for, service_missing

REDIS_URL = os.environ.get("CONSULT_TEST_REDIS_URL")


def test_a_token_over_its_limit_gets_a_429_problem_and_others_go_on(app, api, make_user, make_token):
    app.config["API_RATE_LIMIT_PER_TOKEN"] = "3/minute"
    busy = api(make_token(make_user("王秀英")))
    assert [busy.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    refused = busy.get("/api/v1/me")
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "rate_limited" and refused.headers["Retry-After"]
    assert api(make_token(make_user("李明"))).get("/api/v1/me").status_code == 200


def test_an_address_over_its_limit_is_refused_whatever_token_it_sends(app, api, make_user, make_token):
    app.config["API_RATE_LIMIT_PER_ADDRESS"] = "4/minute"
    secrets_ = [make_token(make_user(f"居民{i}")) for i in range(5)]
    statuses = [api(secret).get("/api/v1/me").status_code for secret in secrets_]
    assert statuses == [200, 200, 200, 200, 429]
    other = api(secrets_[0]).get("/api/v1/me", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_pages_are_not_rate_limited_by_the_api(app, client):
    app.config["API_RATE_LIMIT_PER_ADDRESS"] = "1/minute"
    assert [client.get("/login").status_code for _ in range(3)] == [200, 200, 200]


def test_the_limits_are_counted_in_redis_when_configured(app, make_user, tmp_path):
    if not REDIS_URL:
        service_missing("Redis (set CONSULT_TEST_REDIS_URL=redis://127.0.0.1:6379/0)")
    from flask import g

    from consult import create_app
    from consult.api import service
    from consult.database import unit_of_work
    from consult.extensions import db
    from tests.conftest import FormClient

    prefix = "test-" + secrets.token_hex(4)
    person = make_user("王秀英")
    with unit_of_work():
        _, secret = service.create_personal_token(actor=person, name="t", days=1)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    headers = {"Authorization": f"Bearer {secret}"}
    statuses = []
    # Two applications (two server processes) share the count in Redis.
    for _ in range(2):
        other = create_app(config_for(uri, RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix,
                                      API_RATE_LIMIT_PER_TOKEN="3/minute", UPLOAD_DIR=str(tmp_path)))
        other.test_client_class = FormClient
        with other.app_context():
            client = other.test_client()
            statuses += [client.get("/api/v1/me", headers=headers).status_code for _ in range(2)]
            db.session.remove()
        g.pop("_login_user", None)
    assert statuses == [200, 200, 200, 429]
    import redis

    keys = redis.Redis.from_url(REDIS_URL).keys(f"*{prefix}*")
    assert keys and all(secret.encode() not in key for key in keys)
