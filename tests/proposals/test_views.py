import pytest
from sqlalchemy import func, select

from consult.accounts.models import Role
from consult.extensions import db
from consult.proposals.models import Category, Comment, CoSignature, Proposal, ProposalState, Tier


@pytest.fixture
def residents(tree, make_household, make_user):
    make_user("王秀英", phone="13900000001", household=make_household(tree.e1, "101"))
    make_user("张建国", phone="13900000002", household=make_household(tree.e1, "102"))
    make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    make_user("赵楼长", username="leader", role=Role.building_leader, place=tree.b1)


def category_id():
    return str(db.session.scalar(select(Category.id).order_by(Category.position)))


def raise_via_page(client, place, title="1号楼电梯经常停运", **extra):
    return client.post_form(f"/places/{place.id}/proposals/new", {
        "title": title, "body": "电梯**三天**停了两次<script>alert(1)</script>", "category_id": category_id(),
        "on_behalf_of": "", **extra})


def test_resident_raises_and_sees_the_page(client, auth, tree, residents):
    auth.login("13900000001")
    response = raise_via_page(client, tree.b1)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1号楼电梯经常停运" in page and "<strong>三天</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert "待理事" in page


def test_raise_with_missing_title_keeps_nothing(client, auth, tree, residents):
    auth.login("13900000001")
    response = raise_via_page(client, tree.b1, title="")
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_resident_cannot_raise_in_another_community(client, auth, tree, residents):
    auth.login("13900000001")
    assert client.get(f"/places/{tree.jb.id}/proposals/new").status_code == 403


def test_leader_raises_on_behalf(client, auth, tree, residents):
    auth.login("leader")
    response = raise_via_page(client, tree.b1, on_behalf_of="13900000002")
    assert response.status_code == 302
    proposal = db.session.scalars(select(Proposal)).one()
    assert proposal.author.name == "张建国" and proposal.entered_by.name == "赵楼长"
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "赵楼长" in page


def test_neighbour_cosigns_once_and_comments(client, auth, tree, residents):
    auth.login("13900000001")
    location = raise_via_page(client, tree.b1).headers["Location"]
    auth.logout()
    auth.login("13900000002")
    client.post_form(f"{location}/cosign")
    client.post_form(f"{location}/cosign")
    client.post_form(f"{location}/comments", {"body": "同意"})
    assert db.session.scalar(select(func.count()).select_from(CoSignature)) == 1
    assert db.session.scalar(select(Comment.body)) == "同意"
    page = client.get(location).get_data(as_text=True)
    assert "同意" in page and "王**" in page  # the author's name is masked for a neighbour
    assert 'id="cosigned" disabled' in page and "您家已联名" in page and f'action="{location}/cosign"' not in page


def test_moderator_triages_to_circle_and_the_timeline_shows_it(client, auth, tree, residents):
    auth.login("13900000001")
    location = raise_via_page(client, tree.b1).headers["Location"]
    auth.logout()
    auth.login("moderator")
    page = client.post_form(f"{location}/triage", {"category_id": category_id(), "tier": "circle"},
                            follow_redirects=True).get_data(as_text=True)
    assert "已受理为围圈议（1号楼）。居民现在可以讨论" in page
    proposal = db.session.scalars(select(Proposal)).one()
    assert (proposal.state, proposal.tier) == (ProposalState.accepted, Tier.circle)
    auth.logout()
    auth.login("13900000001")
    page = client.get(location).get_data(as_text=True)
    assert "围圈议" in page and "已分类受理" in page and "讨论中" in page


def test_resident_cannot_triage(client, auth, tree, residents):
    auth.login("13900000001")
    location = raise_via_page(client, tree.b1).headers["Location"]
    client.post_form(f"{location}/decline", {"reason": "我自己撤回"})
    assert db.session.scalars(select(Proposal)).one().state is ProposalState.submitted


def test_decline_needs_a_reason_and_shows_it(client, auth, tree, residents):
    auth.login("13900000001")
    location = raise_via_page(client, tree.b1).headers["Location"]
    auth.logout()
    auth.login("moderator")
    client.post_form(f"{location}/decline", {"reason": ""})
    assert db.session.scalars(select(Proposal)).one().state is ProposalState.submitted
    page = client.post_form(f"{location}/refer", {"reason": "属于市政问题，已转12345"},
                            follow_redirects=True).get_data(as_text=True)
    assert "已转办：已告知提出人和联名人转往何处。" in page
    assert db.session.scalars(select(Proposal)).one().state is ProposalState.referred
    assert "已转12345" in client.get(location).get_data(as_text=True)


def test_escalate_to_the_community(client, auth, tree, residents):
    auth.login("13900000001")
    location = raise_via_page(client, tree.b1).headers["Location"]
    auth.logout()
    auth.login("moderator")
    client.post_form(f"{location}/escalate", {"tier": "platform", "place_id": str(tree.fc.id),
                                              "reason": "需要物业和城管"})
    proposal = db.session.scalars(select(Proposal)).one()
    assert (proposal.place_id, proposal.tier) == (tree.fc.id, Tier.platform)
    page = client.get(location).get_data(as_text=True)
    assert "1号楼 → 富成花园社区" in page


def test_list_filters_and_bad_parameters(client, auth, tree, residents):
    auth.login("13900000001")
    raise_via_page(client, tree.b1)
    raise_via_page(client, tree.north, title="小区停车难")
    page = client.get(f"/places/{tree.fc.id}/proposals").get_data(as_text=True)
    assert "1号楼电梯经常停运" in page and "小区停车难" in page
    page = client.get(f"/places/{tree.b1.id}/proposals?state=submitted&sort=cosigned").get_data(as_text=True)
    assert "1号楼电梯经常停运" in page and "小区停车难" not in page
    assert client.get(f"/places/{tree.fc.id}/proposals?state=nonsense").status_code == 400
    assert client.get(f"/places/{tree.fc.id}/proposals?sort=nonsense").status_code == 400
    assert client.get("/places/999999/proposals").status_code == 404
    assert "1号楼电梯经常停运" in client.get("/proposals/").get_data(as_text=True)


def test_moderator_merges_a_duplicate_on_the_page(client, auth, tree, residents):
    auth.login("13900000001")
    first = raise_via_page(client, tree.b1).headers["Location"]
    auth.logout()
    auth.login("13900000002")
    second = raise_via_page(client, tree.b1, title="电梯又坏了").headers["Location"]
    auth.logout()
    auth.login("moderator")
    survivor_id = int(first.rsplit("/", 1)[1])
    response = client.post_form(f"{second}/merge", {"merge-into": str(survivor_id), "merge-reason": "同一部电梯"})
    assert response.headers["Location"] == first
    page = client.get(second).get_data(as_text=True)
    assert "已合并" in page and f"#{survivor_id}" in page
    assert "1 户联名" in client.get(first).get_data(as_text=True)


def test_moderator_opens_a_call_and_a_resident_proposes_under_it(client, auth, tree, residents):
    from datetime import date, timedelta

    auth.login("moderator")
    response = client.post_form(f"/places/{tree.fc.id}/calls", {
        "title": "每月一题：楼道堆物", "description": "", "closes_on": (date.today() + timedelta(days=7)).isoformat()})
    assert response.status_code == 302
    auth.logout()
    auth.login("13900000001")
    page = client.get(f"/places/{tree.fc.id}/proposals").get_data(as_text=True)
    assert "每月一题：楼道堆物" in page
    from consult.proposals.models import ProposalCall

    call = db.session.scalars(select(ProposalCall)).one()
    raise_via_page(client, tree.b1, title="楼道里堆满纸箱", call_id=str(call.id))
    assert db.session.scalars(select(Proposal)).one().call_id == call.id


def test_a_call_with_a_past_deadline_is_refused(client, auth, tree, residents):
    from datetime import date, timedelta

    from consult.proposals.models import ProposalCall

    auth.login("moderator")
    client.post_form(f"/places/{tree.fc.id}/calls", {
        "title": "过去的征集", "description": "", "closes_on": (date.today() - timedelta(days=2)).isoformat()})
    assert db.session.scalar(select(func.count()).select_from(ProposalCall)) == 0


def test_resident_reports_a_comment_and_the_moderator_sees_it(client, auth, tree, residents):
    auth.login("13900000001")
    location = raise_via_page(client, tree.b1).headers["Location"]
    auth.logout()
    auth.login("13900000002")
    client.post_form(f"{location}/comments", {"body": "难听的话"})
    auth.logout()
    auth.login("13900000001")
    comment_id = db.session.scalar(select(Comment.id))
    client.post_form(f"/comments/{comment_id}/report")
    auth.logout()
    auth.login("moderator")
    assert "被举报 1 次" in client.get(location).get_data(as_text=True)


def test_administrator_edits_the_category_list(client, auth, admin, tree, residents):
    auth.login("admin")
    page = client.post_form("/admin/categories", {"cnew-name_zh": "垃圾分类", "cnew-name_en": "Waste sorting",
                                                  "cnew-position": "9", "cnew-active": "y"},
                            follow_redirects=True).get_data(as_text=True)
    assert "类别“垃圾分类”已保存" in page
    waste = db.session.scalar(select(Category).where(Category.name_zh == "垃圾分类"))
    assert waste.active and waste.name_en == "Waste sorting"
    response = client.post_form("/admin/categories", {"category_id": str(waste.id), f"c{waste.id}-name_zh": "环境卫生",
                                                      f"c{waste.id}-name_en": "x", f"c{waste.id}-position": "1"})
    assert response.status_code == 409  # the name of another category
    client.post_form("/admin/categories", {"category_id": str(waste.id), f"c{waste.id}-name_zh": "垃圾分类",
                                           f"c{waste.id}-name_en": "Waste sorting", f"c{waste.id}-position": "9"})
    db.session.refresh(waste)
    assert not waste.active  # unticked: retired
    auth.logout()
    auth.login("13900000001")
    assert "垃圾分类" not in client.get(f"/places/{tree.b1.id}/proposals/new").get_data(as_text=True)
    assert client.get("/admin/categories").status_code == 403


def test_moderator_takes_an_accepted_matter_to_deliberation(client, auth, tree, residents):
    auth.login("13900000001")
    location = raise_via_page(client, tree.b1).headers["Location"]
    client.post_form(f"{location}/deliberate")
    assert db.session.scalars(select(Proposal)).one().state is ProposalState.submitted  # a resident may not
    auth.logout()
    auth.login("moderator")
    client.post_form(f"{location}/deliberate")
    assert db.session.scalars(select(Proposal)).one().state is ProposalState.submitted  # not before triage
    client.post_form(f"{location}/triage", {"category_id": category_id(), "tier": "circle"})
    client.post_form(f"{location}/deliberate")
    assert db.session.scalars(select(Proposal)).one().state is ProposalState.under_deliberation
    assert "议事中" in client.get(location).get_data(as_text=True)


def test_replies_form_a_thread(client, auth, tree, residents):
    auth.login("13900000001")
    location = raise_via_page(client, tree.b1).headers["Location"]
    client.post_form(f"{location}/comments", {"body": "大家怎么看？"})
    first = db.session.scalar(select(Comment.id))
    auth.logout()
    auth.login("13900000002")
    client.post_form(f"{location}/comments", {"body": "同意", "parent_id": str(first)})
    reply = db.session.scalars(select(Comment).where(Comment.body == "同意")).one()
    assert reply.parent_id == first
    page = client.get(location).get_data(as_text=True)
    assert page.index("大家怎么看？") < page.index('class="replies"') < page.index("同意")
