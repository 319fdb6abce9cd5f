"""The search page of a place over HTTP, with good and bad input."""
import pytest

from consult.proposals.models import Tier


@pytest.fixture
def signed_in(client, auth, people):
    auth.login(people.wang.phone)
    return client


def page(client, place, **args):
    response = client.get(f"/places/{place.id}/search", query_string=args)
    return response, response.get_data(as_text=True)


def test_results_are_marked_linked_and_paged(signed_in, tree, propose):
    made = [propose(tree.b1, f"电梯第{i}次停运", "<script>alert(1)</script>电梯又停了，联系13812345678")
            for i in range(3)]
    response, html = page(signed_in, tree.sub, q="电梯")
    assert response.status_code == 200
    assert "3" in html.split('role="status">', 1)[1].split("</p>", 1)[0]
    assert "<mark>电梯</mark>第" in html and f'href="/proposals/{made[0].id}"' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "13812345678" not in html and "138****5678" in html
    signed_in.application.config["PAGE_SIZE"] = 2
    _, first = page(signed_in, tree.sub, q="电梯")
    _, second = page(signed_in, tree.sub, q="电梯", page=2)
    assert first.count("<mark>电梯</mark>第") == 2 and second.count("<mark>电梯</mark>第") == 1
    assert "page=2" in first and "q=%E7%94%B5%E6%A2%AF" in first


def test_filters_are_kept_in_the_form(signed_in, tree, propose):
    propose(tree.b1, "电梯更新", tier=Tier.platform)
    _, html = page(signed_in, tree.sub, q="电梯", kind="proposal", tier="platform", start="2025-01-01",
                   end="2025-12-31")
    assert '<option value="proposal" selected>' in html and '<option value="platform" selected>' in html
    assert 'value="2025-01-01"' in html and "<details class=\"admin-form\" open>" in html
    assert "<mark>电梯</mark>更新" in html


def test_an_empty_query_shows_the_form(signed_in, tree):
    for args in ({}, {"q": ""}, {"q": "   "}, {"q": "？！"}):
        response, html = page(signed_in, tree.sub, **args)
        assert response.status_code == 200 and 'name="q"' in html and "<mark>" not in html


def test_nothing_found_says_so(signed_in, tree, propose):
    propose(tree.b1, "电梯")
    response, html = page(signed_in, tree.sub, q="梯电")
    assert response.status_code == 200 and "search-results" in html and "<mark>" not in html


@pytest.mark.parametrize("args", [
    {"q": "电" * 500},
    {"q": "电梯", "start": "2025-13-45"},
    {"q": "电梯", "start": "yesterday"},
    {"q": "电梯", "start": "9999-12-31"},
    {"q": "电梯", "end": "0001-01-01"},
    {"q": "电梯", "start": "2025-06-02", "end": "2025-06-01"},
    {"q": "电梯", "kind": "passwords"},
    {"q": "电梯", "tier": "cosmic"},
])
def test_bad_input_gets_a_message_not_an_error(signed_in, tree, propose, args):
    propose(tree.b1, "电梯")
    response, html = page(signed_in, tree.sub, **args)
    assert response.status_code == 422
    assert 'role="alert"' in html and 'name="q"' in html and "<mark>" not in html


@pytest.mark.parametrize("value", ["abc", "0", "-3", "99999999999999999999999", "1.5", ""])
def test_any_page_number_shows_a_page(signed_in, tree, propose, value):
    propose(tree.b1, "电梯")
    response, html = page(signed_in, tree.sub, q="电梯", page=value)
    assert response.status_code == 200 and "<mark>电梯</mark>" in html


def test_the_page_needs_a_sign_in_and_a_place(client, auth, tree, people):
    response = client.get(f"/places/{tree.sub.id}/search?q=电梯")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login(people.wang.phone)
    assert client.get("/places/999999/search?q=电梯").status_code == 404


def test_the_page_in_english(signed_in, tree, people, propose):
    from consult.extensions import db

    people.wang.locale = "en"
    db.session.commit()
    propose(tree.b1, "Broken LIFT", "The lift stopped again")
    response, html = page(signed_in, tree.sub, q="lift")
    assert response.status_code == 200
    assert "Search in" in html and "Found: 1" in html and "Broken <mark>LIFT</mark>" in html
