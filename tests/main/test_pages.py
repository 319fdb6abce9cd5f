from consult.accounts.models import Role


def test_welcome_page_is_chinese_by_default(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "协商议事" in page.get_data(as_text=True)


def test_home_shows_places_and_roles(client, auth, tree, make_household, make_user):
    household = make_household(tree.e1, "301")
    make_user("王秀英", phone="13911112222", household=household, role=Role.moderator, place=tree.fc)
    auth.login("13911112222")
    text = client.get("/").get_data(as_text=True)
    assert "301" in text
    assert "主持人" in text
    assert "富成花园社区" in text


def test_server_error_page_is_friendly_and_translated(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "RuntimeError" not in text and "status-code" in text and "出错" in text


def test_not_found_page_in_english(client):
    client.post_form("/language", {"locale": "en", "next": "/"})
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "This page does not exist" in response.get_data(as_text=True)


def test_production_refuses_to_start_without_a_secret_key():
    import pytest

    from config import TestConfig
    from consult import create_app

    config = type("Production", (TestConfig,), {"PRODUCTION": True, "SECRET_KEY": None})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)
