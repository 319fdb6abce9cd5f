"""The API's conventions: the OpenAPI document, problems, tokens, ETags, cursors and
idempotency keys."""
from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role
from consult.api import service
from consult.api.models import ApiToken, IdempotentRequest
from consult.audit.models import AuditEntry
from consult.database import unit_of_work
from consult.extensions import db
from consult.proposals import service as proposals
from consult.proposals.models import Category, Comment, Proposal


def _category():
    return db.session.scalars(select(Category)).first()


def test_the_openapi_document_is_3_1_and_describes_every_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    documented = {path.replace("{", "<").replace("}", ">") for path in spec["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            plain = rule.rule.replace("<int:", "<")
            assert plain in documented, rule.rule
    # Request bodies and answers come from the schemas that validate them.
    raise_ = spec["paths"]["/api/v1/places/{place_id}/proposals"]["post"]
    assert raise_["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ProposalIn")
    assert "title" in spec["components"]["schemas"]["ProposalIn"]["required"]
    assert spec["components"]["securitySchemes"]["client_credentials"]["type"] == "oauth2"
    problem = raise_["responses"]["422"]["content"]["application/problem+json"]["schema"]["$ref"]
    assert problem.endswith("/Problem") and "code" in spec["components"]["schemas"]["Problem"]["properties"]
    assert any(p["name"] == "Idempotency-Key" for p in raise_["parameters"])


def test_the_openapi_document_is_valid_openapi_3_1(client):
    from openapi_spec_validator import OpenAPIV31SpecValidator

    errors = list(OpenAPIV31SpecValidator(client.get("/api/v1/openapi.json").get_json()).iter_errors())
    assert [error.message for error in errors] == []


def test_the_docs_page_is_served_from_here_without_scripts(client):
    response = client.get("/api/v1/docs")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "/api/v1/proposals/{proposal_id}" in page and "ProposalIn" in page
    assert "<script" not in page and "cdn" not in page.lower()


def test_a_request_without_a_token_is_a_401_problem(api):
    response = api().get("/api/v1/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "unauthenticated" and body["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_acts_as_its_person_and_its_use_is_noted(api, make_user, make_token):
    person = make_user("王秀英")
    secret = make_token(person)
    response = api(secret).get("/api/v1/me")
    assert response.status_code == 200
    assert response.get_json()["id"] == person.id and "proposals" in response.get_json()["scopes"]
    assert "Set-Cookie" not in response.headers     # a token is no sign-in: no session
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash == service.digest(secret) and secret not in repr(stored.__dict__)
    assert stored.last_used_at is not None and stored.last_used_address == "127.0.0.1"


def test_an_expired_or_revoked_token_is_refused(api, make_user, make_token):
    person = make_user("王秀英")
    secret = make_token(person, days=1)
    with clock.travel_to(clock.utcnow() + timedelta(days=2)):
        assert api(secret).get("/api/v1/me").get_json()["code"] == "invalid_token"
    stored = db.session.scalar(select(ApiToken))
    with unit_of_work():
        service.revoke_token(stored, actor=person)
    response = api(secret).get("/api/v1/me")
    assert response.status_code == 401 and response.get_json()["code"] == "invalid_token"


def test_an_unknown_route_under_the_api_is_a_problem(api, make_user, make_token):
    response = api(make_token(make_user())).get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "http_404"


def test_validation_errors_are_given_per_field(api, tree, make_household, make_user, make_token):
    resident = make_user("王秀英", household=make_household(tree.e1))
    response = api(make_token(resident)).post(f"/api/v1/places/{tree.b1.id}/proposals",
                                              json={"title": "", "category_id": "x"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "validation_failed"
    assert set(body["errors"]) >= {"title", "body", "category_id"}


def test_a_domain_error_keeps_its_stable_code(app, api, tree, make_household, make_user, make_token):
    resident = make_user("王秀英", household=make_household(tree.e1))
    with unit_of_work():
        proposal = proposals.raise_proposal(tree.b1, actor=resident, title="楼道灯坏了", body="……", category=_category())
    secret = make_token(make_user("邻居", household=make_household(tree.e1, "102")))
    first = api(secret).post(f"/api/v1/proposals/{proposal.id}/cosign")
    assert first.status_code == 200 and first.get_json()["cosign_count"] == 1
    with force_locale("en"):
        again = api(secret).post(f"/api/v1/proposals/{proposal.id}/cosign", headers={"Accept-Language": "en"})
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json" and again.get_json()["code"] == "conflict"


def test_a_read_has_an_etag_and_answers_304_when_nothing_changed(api, tree, make_household, make_user, make_token):
    resident = make_user("王秀英", household=make_household(tree.e1))
    with unit_of_work():
        proposal = proposals.raise_proposal(tree.b1, actor=resident, title="楼道灯坏了", body="……", category=_category())
    client = api(make_token(resident))
    first = client.get(f"/api/v1/proposals/{proposal.id}")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag
    again = client.get(f"/api/v1/proposals/{proposal.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    with unit_of_work():
        proposals.comment(proposal, actor=resident, body="还没修")
        proposal.cosign_count += 1
    changed = client.get(f"/api/v1/proposals/{proposal.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_lists_are_walked_with_an_opaque_cursor_in_a_stable_order(api, tree, make_household, make_user, make_token):
    resident = make_user("王秀英", household=make_household(tree.e1))
    for n in range(5):
        with unit_of_work():
            proposals.raise_proposal(tree.b1, actor=resident, title=f"第{n}件事", body="……", category=_category())
    client = api(make_token(resident))
    seen, cursor = [], None
    while True:
        url = f"/api/v1/places/{tree.fc.id}/proposals?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url).get_json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        # A matter raised meanwhile does not shift what comes next.
        with unit_of_work():
            proposals.raise_proposal(tree.b1, actor=resident, title="后来的事", body="……", category=_category())
    first_five = sorted(db.session.scalars(select(Proposal.id).where(Proposal.title.like("第%"))), reverse=True)
    assert seen == first_five
    other = client.get(f"/api/v1/places/{tree.fc.id}/proposals?limit=2&sort=cosigned&cursor={cursor or 'eyJrIjpbXX0'}")
    assert other.status_code == 422 and other.get_json()["errors"]["cursor"]


def test_a_post_with_an_idempotency_key_is_done_once(api, tree, make_household, make_user, make_token):
    resident = make_user("王秀英", household=make_household(tree.e1))
    with unit_of_work():
        proposal = proposals.raise_proposal(tree.b1, actor=resident, title="楼道灯坏了", body="……", category=_category())
    client = api(make_token(resident))
    url = f"/api/v1/proposals/{proposal.id}/comments"
    key = {"Idempotency-Key": "comment-1"}
    first = client.post(url, json={"body": "第一条"}, headers=key)
    second = client.post(url, json={"body": "第一条"}, headers=key)
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json() and second.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 1
    other = client.post(url, json={"body": "另一条"}, headers=key)
    assert other.status_code == 422 and other.get_json()["code"] == "idempotency_key_reused"
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 1
    # A day later the key is free again: answers are kept for retries, not for ever.
    with clock.travel_to(clock.utcnow() + timedelta(days=2)):
        assert client.post(url, json={"body": "第三条"}, headers={"Idempotency-Key": "comment-2"}).status_code == 201
        assert db.session.scalar(select(func.count()).select_from(IdempotentRequest)) == 1


def test_every_write_is_audited_with_its_client(api, tree, make_household, make_user, make_token):
    resident = make_user("王秀英", household=make_household(tree.e1))
    response = api(make_token(resident)).post(f"/api/v1/places/{tree.b1.id}/proposals",
                                              json={"title": "电梯坏了", "body": "三天了", "category_id": _category().id})
    assert response.status_code == 201 and response.headers["Location"].endswith(f"/proposals/{response.get_json()['id']}")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api.proposal.raise"))
    assert entry.actor_id == resident.id and entry.target_id == response.get_json()["id"]
    assert entry.detail["token"] == db.session.scalar(select(ApiToken.id))


def test_a_read_only_app_client_may_not_write_and_reaches_only_its_places(
        app, api, client, tree, make_household, make_user, admin):
    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    with unit_of_work():
        registered, secret = service.register_client(actor=admin, name="公告屏", user=moderator,
                                                     place_ids=[tree.b1.id], scopes=["read"])
    response = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials",
                                                        "client_id": registered.client_id, "client_secret": secret})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    issued = response.get_json()
    assert issued["token_type"] == "Bearer" and issued["expires_in"] == 3600 and issued["scope"] == "read"
    app_client = api(issued["access_token"])
    assert app_client.get(f"/api/v1/places/{tree.b1.id}").status_code == 200
    assert app_client.get(f"/api/v1/places/{tree.b2.id}").status_code == 404     # the moderator reads it, the app not
    refused = app_client.post(f"/api/v1/places/{tree.b1.id}/proposals",
                              json={"title": "t", "body": "b", "category_id": _category().id})
    assert refused.status_code == 403 and refused.get_json()["code"] == "insufficient_scope"
    wrong = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials",
                                                     "client_id": registered.client_id, "client_secret": "nope"})
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "invalid_client"
    unsupported = client.post("/api/v1/oauth/token", data={"grant_type": "password"})
    assert unsupported.status_code == 400 and unsupported.get_json()["error"] == "unsupported_grant_type"
    with unit_of_work():
        service.revoke_client(registered, actor=admin)
    assert app_client.get(f"/api/v1/places/{tree.b1.id}").status_code == 401


def test_only_an_administrator_of_its_places_registers_an_app(app, tree, make_user):
    import pytest

    from consult.errors import NotAllowed

    elsewhere = make_user("别处管理员", username="other-admin", role=Role.administrator, place=tree.jm)
    with pytest.raises(NotAllowed), unit_of_work():
        service.register_client(actor=elsewhere, name="x", user=elsewhere, place_ids=[tree.b1.id], scopes=["read"])


def test_an_id_beyond_what_the_tables_hold_is_not_found_not_a_crash(api, client, auth, make_user, make_token):
    person = make_user("王秀英", phone="13900000001")
    huge = 2 ** 31
    assert api(make_token(person)).get(f"/api/v1/ballots/{huge}").status_code == 404
    auth.login("13900000001")
    assert client.get(f"/proposals/{huge}").status_code == 404
    assert client.get(f"/proposals/{2 ** 63}").status_code == 404
