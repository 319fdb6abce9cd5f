"""The pages read a fixed number of times from the database however many matters there
are: no query per card of the list, per step on the home page, per name or place shown."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from consult.accounts.models import Role
from consult.clock import utcnow
from consult.extensions import db
from consult.proposals.models import Category, Proposal, ProposalEvent, ProposalState

# What each page may ask at most, whatever the number of proposals.
MOST_QUERIES = {"home": 14, "list": 13, "detail": 21}


@contextmanager
def counted():
    statements = []

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.fixture
def people(tree, make_household, make_user):
    resident = make_user("王秀英", phone="13900000001", household=make_household(tree.e1, "101"))
    neighbour = make_user("张建国", phone="13900000002", household=make_household(tree.e2, "201"))
    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    return type("People", (), dict(resident=resident, neighbour=neighbour, moderator=moderator))


def add_matters(count: int, places, authors, moderator) -> Proposal:
    """``count`` proposals spread over ``places`` and ``authors``, each triaged by the
    moderator (a step that is news to its author). Returns the last."""
    category = db.session.scalar(select(Category.id).order_by(Category.position))
    for n in range(count):
        proposal = Proposal(place=places[n % len(places)], title=f"议题{n}", body="电梯停运",
                            category_id=category, state=ProposalState.accepted, author=authors[n % len(authors)])
        db.session.add(proposal)
        db.session.flush()
        db.session.add_all([
            ProposalEvent(proposal=proposal, at=utcnow(), actor=proposal.author, action="raise",
                          to_state="submitted"),
            ProposalEvent(proposal=proposal, at=utcnow(), actor=moderator, action="triage",
                          from_state="submitted", to_state="accepted"),
        ])
    db.session.commit()
    return proposal


def queries(client, url: str) -> int:
    client.get(url)  # once before, as a page is asked for again and again
    with counted() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def test_pages_ask_the_same_for_few_and_for_many_matters(client, auth, tree, people):
    places = [tree.e1, tree.e2, tree.b1, tree.b2, tree.north, tree.fc]
    authors = [people.resident, people.neighbour]
    auth.login("13900000001")

    first = add_matters(2, places[:1], authors[:1], people.moderator)
    pages = {"home": "/", "list": f"/places/{tree.fc.id}/proposals", "detail": f"/proposals/{first.id}"}
    few = {page: queries(client, url) for page, url in pages.items()}

    add_matters(40, places, authors, people.moderator)
    many = {page: queries(client, url) for page, url in pages.items()}

    assert many == few
    assert all(many[page] <= most for page, most in MOST_QUERIES.items()), many


def test_the_list_still_names_each_matters_place(client, auth, tree, people):
    add_matters(6, [tree.e1, tree.b2, tree.north], [people.resident], people.moderator)
    auth.login("13900000001")
    page = client.get(f"/places/{tree.fc.id}/proposals").get_data(as_text=True)
    for name in ("1单元", "2号楼", "富成花园北区"):
        assert name in page


def test_the_home_page_still_shows_the_news_of_each_matter(client, auth, tree, people):
    add_matters(3, [tree.e1], [people.resident], people.moderator)
    auth.login("13900000001")
    page = client.get("/").get_data(as_text=True)
    for n in range(3):
        assert f"议题{n}" in page


def test_a_proposals_page_asks_the_same_for_one_and_for_many_people_named(client, auth, tree, people,
                                                                          make_household, make_user):
    from consult.proposals.models import Comment

    proposal = add_matters(1, [tree.e1], [people.resident], people.moderator)
    leader = make_user("赵楼长", username="leader", role=Role.building_leader, place=tree.b1)

    def comment(author, n):
        db.session.add(Comment(proposal_id=proposal.id, author_id=author.id, body=f"同意{n}"))
        db.session.commit()

    comment(people.neighbour, 0)
    auth.login("13900000001")
    url = f"/proposals/{proposal.id}"
    few = queries(client, url)

    for n in range(1, 9):
        comment(make_user(f"邻居{n}", household=make_household(tree.e2, f"3{n:02d}")), n)
    comment(leader, 9)
    comment(people.moderator, 10)
    many = queries(client, url)
    page = client.get(url).get_data(as_text=True)

    assert many == few and many <= MOST_QUERIES["detail"]
    assert "李书记" in page and "赵楼长" in page   # acting in office: named in full
    assert "邻居8" not in page and "邻*" in page     # a neighbour: masked


def test_a_list_counts_only_so_far_and_says_more_than(client, auth, tree, people, monkeypatch):
    from consult.proposals import service as proposals
    from consult.proposals import views

    add_matters(7, [tree.e1, tree.b2], [people.resident], people.moderator)
    assert proposals.proposals_in(tree.fc)[1] == 7
    assert proposals.proposals_in(tree.fc, count_at_most=7)[1] == 7
    assert proposals.proposals_in(tree.fc, count_at_most=4)[1] == 5   # one past: "more than 4"
    assert proposals.proposals_in(tree.fc, state=ProposalState.submitted, count_at_most=4)[1] == 0

    monkeypatch.setattr(views, "COUNT_AT_MOST", 4)
    auth.login("13900000001")
    page = client.get(f"/places/{tree.fc.id}/proposals?page=1").get_data(as_text=True)
    # per page 20: the first page and the next are counted, so all 7 are
    assert "共 7 件" in page and "超过" not in page

    monkeypatch.setattr(views, "COUNT_AT_MOST", 0)
    monkeypatch.setattr(views, "PER_PAGE", 2)
    page = client.get(f"/places/{tree.fc.id}/proposals?page=1").get_data(as_text=True)
    assert "超过 4 件" in page and "第 1 页，共 2 页以上" in page and "page=2" in page
    last = client.get(f"/places/{tree.fc.id}/proposals?page=4").get_data(as_text=True)
    assert "共 7 件" in last and "第 4 页，共 4 页" in last and "page=5" not in last
