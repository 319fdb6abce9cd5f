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
