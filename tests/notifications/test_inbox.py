from sqlalchemy import select

from consult.accounts.models import Role
from consult.database import unit_of_work
from consult.extensions import db
from consult.notifications import service as notifications
from consult.notifications.models import Notification
from consult.proposals import service as proposals
from consult.proposals.models import Category, Tier


def test_moderators_hear_of_new_matters_and_followers_of_every_step(tree, make_household, make_user):
    category = db.session.scalar(select(Category))
    author = make_user("王秀英", household=make_household(tree.e1, "101"))
    neighbour = make_user("张建国", household=make_household(tree.e1, "102"))
    moderator = make_user("李书记", role=Role.moderator, place=tree.fc)
    elsewhere = make_user("嘉铭主持人", role=Role.moderator, place=tree.jm)
    with unit_of_work():
        p = proposals.raise_proposal(tree.b1, actor=author, title="电梯停运", body="x", category=category)
    assert [n.kind for n in notifications.inbox(moderator)] == ["proposal.raised"]
    assert notifications.inbox(elsewhere) == [] and notifications.inbox(author) == []
    with unit_of_work():
        proposals.cosign(p, actor=neighbour)
        proposals.triage(p, actor=moderator, category=category, tier=Tier.circle)
    for person in (author, neighbour):
        assert notifications.unread_count(person) == 1
        assert "已分类受理" in notifications.inbox(person)[0].text and "电梯停运" in notifications.inbox(person)[0].text
    assert notifications.unread_count(moderator) == 1  # not told of their own step
    with unit_of_work():
        notifications.mark_all_read(author)
    assert notifications.unread_count(author) == 0 and notifications.unread_count(neighbour) == 1


def test_escalation_tells_the_new_places_moderators(tree, make_household, make_user):
    category = db.session.scalar(select(Category))
    author = make_user("王秀英", household=make_household(tree.e1, "101"))
    leader_moderator = make_user("楼栋主持人", role=Role.moderator, place=tree.b1)
    sub_moderator = make_user("街道主持人", role=Role.moderator, place=tree.sub)
    with unit_of_work():
        p = proposals.raise_proposal(tree.b1, actor=author, title="外墙脱落", body="x", category=category)
    with unit_of_work():
        proposals.escalate(p, actor=leader_moderator, reason="需要街道协调", place=tree.fc, tier=Tier.platform)
    kinds = [n.kind for n in notifications.inbox(sub_moderator)]
    assert kinds == ["proposal.escalated_here", "proposal.raised"]


def test_inbox_page_and_badge(client, auth, tree, make_household, make_user):
    category = db.session.scalar(select(Category))
    author = make_user("王秀英", phone="13900000001", household=make_household(tree.e1, "101"))
    make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    with unit_of_work():
        proposals.raise_proposal(tree.b1, actor=author, title="电梯停运", body="x", category=category)
    auth.login("moderator")
    home = client.get("/").get_data(as_text=True)
    assert '<span class="badge">1</span>' in home
    page = client.get("/inbox").get_data(as_text=True)
    assert "电梯停运" in page and "1号楼" in page
    client.post_form("/inbox/read")
    assert db.session.scalar(select(Notification.read_at)) is not None
    assert 'class="badge"' not in client.get("/").get_data(as_text=True)
