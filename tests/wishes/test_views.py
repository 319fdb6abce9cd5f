from sqlalchemy import select

from consult.extensions import db
from consult.wishes.models import Wish, WishState


def test_resident_posts_a_wish_and_a_volunteer_takes_it_up(client, auth, folks, tree):
    auth.login("13900000001")
    response = client.post_form(f"/places/{tree.e1.id}/wishes", {"title": "想学用智能手机", "body": "<i>挂号</i>"})
    assert response.status_code == 302
    wish = db.session.scalars(select(Wish)).one()
    page = client.get(f"/wishes/{wish.id}").get_data(as_text=True)
    assert "&lt;i&gt;挂号" in page
    auth.logout()
    auth.login("13900000002")
    page = client.get(f"/places/{tree.fc.id}/wishes").get_data(as_text=True)
    assert "想学用智能手机" in page and "老人" not in page  # the author's name is masked
    claimed = client.post_form(f"/wishes/{wish.id}/claim", follow_redirects=True).get_data(as_text=True)
    assert "您已认领这个心愿" in claimed and "已认领" in claimed
    client.post_form(f"/wishes/{wish.id}/fulfil", {"note": "教会了预约挂号"})
    db.session.refresh(wish)
    assert wish.state is WishState.fulfilled
    auth.logout()
    auth.login("13900000001")
    client.post_form(f"/wishes/{wish.id}/confirm")
    db.session.refresh(wish)
    assert wish.state is WishState.confirmed


def test_an_empty_title_is_refused(client, auth, folks, tree):
    auth.login("13900000001")
    assert client.post_form(f"/places/{tree.e1.id}/wishes", {"title": ""}).status_code == 422
    assert db.session.scalars(select(Wish)).first() is None


def test_a_stranger_finds_nothing_and_claims_nothing(client, auth, folks, tree):
    auth.login("13900000001")
    client.post_form(f"/places/{tree.e1.id}/wishes", {"title": "想学用智能手机"})
    wish = db.session.scalars(select(Wish)).one()
    auth.logout()
    auth.login("13900000009")
    assert client.get(f"/wishes/{wish.id}").status_code == 404
    assert client.post_form(f"/wishes/{wish.id}/claim").status_code == 404
    db.session.refresh(wish)
    assert wish.state is WishState.posted


def test_withdrawing_asks_first(client, auth, folks, tree):
    auth.login("13900000001")
    client.post_form(f"/places/{tree.e1.id}/wishes", {"title": "想学用智能手机"})
    wish = db.session.scalars(select(Wish)).one()
    assert 'name="confirmed"' in client.post_form(f"/wishes/{wish.id}/withdraw").get_data(as_text=True)
    client.post_form(f"/wishes/{wish.id}/withdraw", {"confirmed": "1"})
    db.session.refresh(wish)
    assert wish.state is WishState.withdrawn


def test_a_neighbour_is_not_asked_to_confirm_a_withdrawal_they_may_not_make(client, auth, folks, tree):
    auth.login("13900000001")
    client.post_form(f"/places/{tree.e1.id}/wishes", {"title": "想学用智能手机"})
    wish = db.session.scalars(select(Wish)).one()
    auth.logout()
    auth.login("13900000002")
    response = client.post_form(f"/wishes/{wish.id}/withdraw", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert 'name="confirmed"' not in page and "您没有权限进行此操作。" in page
    db.session.refresh(wish)
    assert wish.state is WishState.posted
