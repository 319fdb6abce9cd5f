"""The home page lists what needs the person now, per role, each entry linking to where it
is done."""
import re

from sqlalchemy import select

from consult.accounts.models import OrganisationKind, Role
from consult.database import unit_of_work
from consult.extensions import db
from consult.motions import service as motions
from consult.proposals import service as proposals
from consult.proposals.models import Category
from consult.voting import service as voting
from consult.voting.models import Electorate, Secrecy
from tests.motions.support import organisation


def do(operation, *args, **kwargs):
    with unit_of_work():
        return operation(*args, **kwargs)


def section(page: str, key: str) -> str:
    match = re.search(rf'<h3 id="needs-{key}">(.*?)</ul>', page, re.S)
    return match.group(1) if match else ""


def test_a_resident_sees_the_vote_waiting_for_them_until_they_vote(client, auth, tree, make_household, make_user):
    resident = make_user("王秀英", phone="13911112222", household=make_household(tree.e1, "301"))
    moderator = make_user("李书记", role=Role.moderator, place=tree.fc)
    ballot = do(voting.draft_ballot, tree.b1, actor=moderator, question="是否加装电梯？",
                electorate=Electorate.households, secrecy=Secrecy.named, rule="simple_majority")
    do(voting.open_ballot, ballot, actor=moderator)
    auth.login("13911112222")
    part = section(client.get("/").get_data(as_text=True), "ballots")
    assert "是否加装电梯？" in part and f'href="/ballots/{ballot.id}"' in part
    assert '<span class="count">1</span>' in part
    do(voting.cast, ballot, actor=resident, choice="yes")
    page = client.get("/").get_data(as_text=True)
    assert section(page, "ballots") == "" and "现在没有等您处理的事" in page


def test_a_resident_reads_what_happened_to_the_matter_they_raised(client, auth, tree, make_household, make_user):
    resident = make_user("王秀英", phone="13911112222", household=make_household(tree.e1, "301"))
    moderator = make_user("李书记", role=Role.moderator, place=tree.fc)
    category = db.session.scalar(select(Category).order_by(Category.position))
    matter = do(proposals.raise_proposal, tree.b1, actor=resident, title="电梯经常停运", body="又坏了",
                category=category)
    auth.login("13911112222")
    assert section(client.get("/").get_data(as_text=True), "news") == ""
    do(proposals.transition, matter, "answer", actor=moderator, reason="已联系物业维修")
    part = section(client.get("/").get_data(as_text=True), "news")
    assert "电梯经常停运" in part and f'href="/proposals/{matter.id}"' in part


def test_a_moderator_sees_triage_and_a_manager_sees_new_motions(client, auth, tree, make_household, make_user):
    resident = make_user("王秀英", household=make_household(tree.e1, "301"))
    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    manager = make_user("物业赵经理", username="manager", role=Role.property_manager, place=tree.north)
    company = organisation(tree.north, OrganisationKind.property_company, "富成物业", manager)
    category = db.session.scalar(select(Category).order_by(Category.position))
    matter = do(proposals.raise_proposal, tree.b1, actor=resident, title="楼道灯坏了", body="三楼", category=category)
    auth.login("moderator")
    part = section(client.get("/").get_data(as_text=True), "triage")
    assert "楼道灯坏了" in part and f'href="/proposals/{matter.id}"' in part
    motion = do(motions.assign, tree.b1, actor=moderator, title="修复楼道灯", body="三楼楼道灯",
                organisations=[company])
    auth.logout()
    auth.login("manager")
    part = section(client.get("/").get_data(as_text=True), f"desk-{company.id}-new")
    assert "修复楼道灯" in part and f'href="/motions/{motion.id}"' in part and "接单" in part


def test_the_header_search_searches_the_readers_own_places(client, auth, tree, make_household, make_user):
    make_user("王秀英", phone="13911112222", household=make_household(tree.e1, "301"))
    make_user("孙主任", username="sub", role=Role.moderator, place=tree.sub)
    auth.login("13911112222")
    page = client.get("/").get_data(as_text=True)
    assert 'role="search"' in page and 'action="/search"' in page and 'id="site-search"' in page
    response = client.get("/search", query_string={"q": "电梯"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/places/{tree.fc.id}/search?q=")
    auth.logout()
    auth.login("sub")
    assert client.get("/search?q=x").headers["Location"].startswith(f"/places/{tree.sub.id}/search")


def test_no_element_id_is_used_twice_on_the_moderators_proposal_page(client, auth, tree, make_household, make_user):
    resident = make_user("王秀英", household=make_household(tree.e1, "301"))
    make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    category = db.session.scalar(select(Category).order_by(Category.position))
    matter = do(proposals.raise_proposal, tree.b1, actor=resident, title="楼道灯坏了", body="三楼", category=category)
    do(proposals.comment, matter, actor=resident, body="还是不亮")
    do(proposals.comment, matter, actor=resident, body="请尽快")
    auth.login("moderator")
    page = client.get(f"/proposals/{matter.id}").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert "triage-tier" in ids and "escalate-tier" in ids and "decline-reason" in ids
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []
