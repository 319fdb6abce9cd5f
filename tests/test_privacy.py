import pytest

from consult.privacy import mask_name, mask_phone


@pytest.mark.parametrize("phone, masked", [
    ("13812341234", "138****1234"), ("", ""), (None, ""), ("12345", "*****"),
])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize("name, masked", [
    ("王小明", "王**"), ("王明", "王*"), ("欧阳娜娜", "欧***"), ("王", "王"), ("John Smith", "J***"), ("", ""),
])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


# --- numbers in free text and names, on every page that shows them ----------------------------

from sqlalchemy import select  # noqa: E402

from consult.accounts.models import Role  # noqa: E402
from consult.extensions import db  # noqa: E402
from consult.privacy import mask_personal_numbers  # noqa: E402
from consult.proposals.models import Category, Proposal  # noqa: E402

MOBILE, MOBILE_DASHED, ID_NUMBER = "13912345678", "139-1234-5678", "110105194912310021"


@pytest.mark.parametrize("text, shown", [
    (f"电话{MOBILE}", "电话139****5678"),
    (f"电话 {MOBILE_DASHED} 找我", "电话 139****5678 找我"),
    (f"身份证{ID_NUMBER}。", "身份证1101**********0021。"),
    ("身份证11010519491231002X", "身份证1101**********002X"),
    ("面积 88.50 平方米，编号 20261216", "面积 88.50 平方米，编号 20261216"),
    ("/photos/ab13912345678cd.jpg", "/photos/ab13912345678cd.jpg"),   # inside a token: not a number
    (MOBILE, "139****5678"),                                        # nothing but the number
    ("139 1234 5678", "139****5678"),
])
def test_mask_personal_numbers(text, shown):
    assert mask_personal_numbers(text) == shown


@pytest.fixture
def people(tree, make_household, make_user):
    return type("People", (), dict(
        author=make_user("赵凤英", phone="13900000001", household=make_household(tree.e1, "101")),
        neighbour=make_user("张建国", phone="13900000002", household=make_household(tree.e1, "102")),
        moderator=make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc),
        outsider_staff=make_user("孙网格员", username="grid", role=Role.grid_worker, place=tree.jm)))


def _as(client, auth, who):
    auth.logout()
    auth.login(who.phone or who.username)


def _raise(client, tree):
    category = db.session.scalar(select(Category.id).order_by(Category.position))
    client.post_form(f"/places/{tree.b1.id}/proposals/new", {
        "title": f"电梯坏了请打{MOBILE}", "body": f"电话 {MOBILE_DASHED}，身份证 {ID_NUMBER}",
        "category_id": str(category), "on_behalf_of": ""})
    return db.session.scalars(select(Proposal)).one()


def _full_numbers(page: str) -> set[str]:
    return {n for n in (MOBILE, MOBILE_DASHED, ID_NUMBER, "13700001111") if n in page}


def test_numbers_in_free_text_are_masked_for_everyone_but_the_author_and_the_staff(client, auth, tree, people):
    _as(client, auth, people.author)
    proposal = _raise(client, tree)
    _as(client, auth, people.neighbour)
    client.post_form(f"/proposals/{proposal.id}/comments", {"body": "我也遇到了，电话13700001111"})

    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert _full_numbers(page) == {"13700001111"}          # the neighbour's own comment only
    assert "139****5678" in page and "1101**********0021" in page
    listing = client.get(f"/places/{tree.b1.id}/proposals").get_data(as_text=True)
    assert _full_numbers(listing) == set() and "139****5678" in listing

    _as(client, auth, people.author)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert _full_numbers(page) == {MOBILE, MOBILE_DASHED, ID_NUMBER}   # not the neighbour's
    assert "137****1111" in page

    _as(client, auth, people.moderator)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert _full_numbers(page) == {MOBILE, MOBILE_DASHED, ID_NUMBER, "13700001111"}


def test_numbers_in_ballot_questions_motions_and_statements_are_masked(client, auth, tree, people):
    from consult.database import unit_of_work
    from consult.meetings import service as meetings
    from consult.meetings.models import MeetingForm, MeetingKind, Quorum
    from consult.meetings.state import room_state
    from consult.motions import service as motions
    from consult.voting import service as voting
    from consult.voting.models import Electorate, Secrecy
    from consult import clock

    with unit_of_work():
        ballot = voting.draft_ballot(tree.b1, actor=people.moderator, question=f"同意吗？问询{MOBILE}",
                                     electorate=Electorate.households, secrecy=Secrecy.named, rule="simple_majority")
    with unit_of_work():
        voting.open_ballot(ballot, actor=people.moderator)
    with unit_of_work():
        meeting = meetings.schedule(tree.b1, actor=people.moderator, title="议事会", kind=MeetingKind.circle,
                                    form=MeetingForm.online, starts_at=clock.utcnow(), location="",
                                    quorum=Quorum.none, invite_residents=True, free_items=["电梯"])
    with unit_of_work():
        meetings.change_state(meeting, "start", actor=people.moderator)
    with unit_of_work():
        meetings.sign_in(meeting, actor=people.author)
    with unit_of_work():
        meetings.post_statement(meeting, actor=people.author, body=f"有事打{MOBILE}")
    state = room_state(meeting, people.neighbour)
    assert state["statements"][0]["body"] == "有事打139****5678"
    event = meetings.events_after(meeting, 0)[-1]
    assert event.kind == "statement" and MOBILE not in str(event.data)

    _as(client, auth, people.neighbour)
    page = client.get(f"/ballots/{ballot.id}").get_data(as_text=True)
    assert MOBILE not in page and "139****5678" in page
    assert MOBILE not in client.get("/").get_data(as_text=True)
    del motions


def test_a_person_is_named_the_same_way_on_every_page(client, auth, tree, people):
    _as(client, auth, people.author)
    proposal = _raise(client, tree)
    _as(client, auth, people.moderator)
    client.post_form(f"/proposals/{proposal.id}/comments", {"body": "已收到，明天去看。"})

    _as(client, auth, people.neighbour)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    # The author, a resident: masked at the top, in the timeline and anywhere else.
    assert "赵凤英" not in page and page.count("赵**") >= 2
    # The moderator, acting in office: named in the comment and the timeline alike.
    assert "李**" not in page and "李书记" in page

    _as(client, auth, people.outsider_staff)     # staff of another community: no special sight
    page = client.get(f"/proposals/{proposal.id}")
    if page.status_code == 200:
        text = page.get_data(as_text=True)
        assert "赵凤英" not in text and MOBILE not in text

    _as(client, auth, people.moderator)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "赵**" not in page and "赵凤英" in page


def test_search_snippets_mask_numbers_as_every_page_does():
    from consult.search.snippets import mask_numbers

    assert mask_numbers(f"电话 {MOBILE}，身份证 {ID_NUMBER}") == "电话 139****5678，身份证 1101**********0021"
    assert mask_numbers("电话 139-1234-5678") == "电话 139-****-5678"


def test_minutes_keep_no_number_and_render_the_mask_as_written():
    from consult.markup import render_markdown

    stored = mask_personal_numbers(f"会后联系 {MOBILE}，身份证 {ID_NUMBER}，**北侧**方案")
    assert MOBILE not in stored and ID_NUMBER not in stored
    html = render_markdown(stored)
    assert "139****5678" in html and "1101**********0021" in html and "<strong>北侧</strong>" in html
