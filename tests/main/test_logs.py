"""One structured line per request: what an operator needs, nothing a resident would not
want written down."""
import json
import logging

from consult.logs import JsonFormatter


def test_a_request_is_logged_with_status_duration_and_user(client, auth, make_user, caplog):
    user = make_user("王秀英", phone="13900000001")
    caplog.set_level(logging.INFO, logger="consult.requests")
    auth.login("13900000001")
    client.get("/places/?q=13900000001")
    records = [r for r in caplog.records if r.name == "consult.requests"]
    login = next(r.fields for r in records if r.fields["method"] == "POST")
    page = records[-1].fields
    assert login["method"] == "POST" and login["path"] == "/login" and login["status"] in (200, 302)
    assert page["path"] == "/places/" and page["user"] == user.id and page["ms"] >= 0
    lines = [JsonFormatter().format(r) for r in records]
    assert all(json.loads(line)["message"] == "request" for line in lines)
    written = "\n".join(lines)
    assert "13900000001" not in written and "password" not in written


def test_the_formatter_writes_one_json_object_per_record():
    record = logging.LogRecord("consult.x", logging.WARNING, __file__, 1, "发生了 %s", ("错误",), None)
    line = JsonFormatter().format(record)
    assert "\n" not in line and json.loads(line)["message"] == "发生了 错误" and json.loads(line)["level"] == "warning"
