"""Who reads what through the API: the world of the pages' visibility test, run through
every API route that takes an id, with the tokens of a resident of the community it
belongs to and of a resident of another community of the same subdistrict."""
import re

from tests.test_visibility import _fingerprint, world  # noqa: F401  (the same world as the pages')

PREFIX = "/api/v1/"

# What a write by anyone would send, so that a refusal is the rule's, not the schema's.
EVERY_FIELD = {"title": "外人写的", "body": "外人写的", "category_id": 1, "choice": ["yes"], "accept": True,
               "answer": "accept", "reason": "外人写的", "until": "2099-01-01", "score": "satisfied",
               "comment": "外人写的"}


def _url(rule: str, ids: dict) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", lambda m: str(ids[m.group(1)]), rule)


def _routes(app, ids, method: str) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX) or method not in rule.methods or not rule.arguments:
            continue
        missing = rule.arguments - ids.keys()
        assert not missing, f"{rule.rule}: give the world a record for {missing}"
        urls.append(_url(rule.rule, ids))
    return urls


def _rows():
    """Every row but the tokens' last use (what each request may rightly touch)."""
    rows = _fingerprint()
    rows.pop("api_tokens", None)
    return rows


def test_every_api_route_with_an_id_is_covered(app, world):
    assert len(_routes(app, world.ids, "GET")) >= 12 and len(_routes(app, world.ids, "POST")) >= 10


def test_a_resident_of_another_community_reads_nothing_of_this_one(app, api, make_token, world):
    outsider = api(make_token(world.there))
    opened = {}
    for url in _routes(app, world.ids, "GET"):
        response = outsider.get(url)
        if response.status_code not in (403, 404):
            opened[url] = response.status_code
        else:
            assert response.mimetype == "application/problem+json", url
    assert opened == {}


def test_a_resident_of_another_community_changes_nothing_here(app, api, make_token, world):
    outsider = api(make_token(world.there))
    before = _rows()
    for url in _routes(app, world.ids, "POST"):
        response = outsider.post(url, json=EVERY_FIELD)
        assert 400 <= response.status_code < 500, (url, response.status_code)
    assert _rows() == before
    # The same request from a resident of the place does write: the refusals are the rules'.
    written = api(make_token(world.here)).post(f"/api/v1/proposals/{world.ids['proposal_id']}/comments",
                                               json=EVERY_FIELD)
    assert written.status_code == 201, written.get_json()
    assert _rows()["proposal_comments"] != before["proposal_comments"]


def test_a_resident_reads_their_own_community(api, make_token, world):
    resident = api(make_token(world.here))
    ids = world.ids
    for url in (f"/api/v1/places/{ids['place_id']}", f"/api/v1/places/{ids['place_id']}/proposals",
                f"/api/v1/proposals/{ids['proposal_id']}", f"/api/v1/proposals/{ids['proposal_id']}/comments",
                f"/api/v1/meetings/{ids['meeting_id']}", f"/api/v1/places/{ids['place_id']}/meetings",
                f"/api/v1/ballots/{ids['ballot_id']}", f"/api/v1/ballots/{ids['ballot_id']}/result",
                f"/api/v1/motions/{ids['motion_id']}", f"/api/v1/places/{ids['place_id']}/motions",
                f"/api/v1/places/{ids['place_id']}/figures", f"/api/v1/places/{world.tree.fc.id}",
                "/api/v1/ballots", "/api/v1/notifications", "/api/v1/places"):
        assert resident.get(url).status_code == 200, url


def test_lists_hold_only_what_the_viewer_reads(api, make_token, world):
    """The subdistrict's list, read by a resident of the other community, holds the
    platform-tier matter (which the subdistrict publishes) and not the neighbours' one."""
    response = api(make_token(world.there)).get(f"/api/v1/places/{world.tree.sub.id}/proposals")
    assert response.status_code == 200
    ids = {p["id"] for p in response.get_json()["items"]}
    assert world.platform.id in ids and world.ids["proposal_id"] not in ids


def test_names_and_numbers_are_masked_as_on_the_pages(app, api, auth, client, make_token, world):
    from consult.database import unit_of_work

    with unit_of_work():
        world.platform.body = "请打13912345678联系我"
    outsider = api(make_token(world.there)).get(f"/api/v1/proposals/{world.platform.id}").get_json()
    author = api(make_token(world.here)).get(f"/api/v1/proposals/{world.platform.id}").get_json()
    staff = api(make_token(world.moderator)).get(f"/api/v1/proposals/{world.platform.id}").get_json()
    assert outsider["author"]["name"] == "本****" != world.here.name
    assert "139****5678" in outsider["body"] and "13912345678" not in outsider["body"]
    assert author["author"]["name"] == world.here.name and "13912345678" in author["body"]
    assert staff["author"]["name"] == world.here.name and "13912345678" in staff["body"]
    assert auth.login(world.there.phone).status_code == 302
    page = client.get(f"/proposals/{world.platform.id}").get_data(as_text=True)
    assert outsider["author"]["name"] in page and "139****5678" in page and world.here.name not in page
