"""Who reads what: every page that takes an id, opened by a resident of the community it
belongs to and by a resident of another community of the same subdistrict."""
import pytest
from sqlalchemy import select

from consult import clock
from consult.accounts.models import Organisation, OrganisationKind, OrganisationMember, Role
from consult.database import unit_of_work
from consult.extensions import db
from consult.meetings import service as meetings
from consult.meetings.models import MeetingForm, MeetingKind, Quorum
from consult.minutes.models import Minutes
from consult.motions import service as motions
from consult.places.models import Grid
from consult.proposals import service as proposals
from consult.proposals.models import Category, Tier
from consult.voting import service as voting
from consult.voting.models import BallotVoter, Choice, Electorate, Secrecy

# Routes whose id is an unguessable token rather than a number: a token is handed only to
# those who may see the page it is on, which the test of that page covers.
TOKEN_ROUTES = {"voting.evidence", "motions.photo", "proposals.photo"}


@pytest.fixture
def world(tree, make_household, make_user):
    moderator = make_user("社区主持人", username="moderator", role=Role.moderator, place=tree.fc)
    manager = make_user("物业经理", username="property", role=Role.property_manager, place=tree.north)
    home = make_household(tree.e1, "101")
    here = make_user("本社区居民", phone="13900000001", household=home)
    there = make_user("外社区居民", phone="13900000002", household=make_household(tree.jb, "801"))
    company = Organisation(place=tree.north, kind=OrganisationKind.property_company, name="物业公司")
    db.session.add(company)
    db.session.add(OrganisationMember(organisation=company, user=manager))
    grid = Grid(community=tree.fc, name="第一网格", buildings=[tree.b1])
    db.session.add(grid)
    db.session.commit()
    category = db.session.scalars(select(Category)).first()
    with unit_of_work():
        proposal = proposals.raise_proposal(tree.b1, actor=here, title="楼上漏水", body="邻里纠纷", category=category)
    with unit_of_work():
        platform = proposals.raise_proposal(tree.b1, actor=here, title="小区停车难", body="需要街道协调", category=category)
    platform.tier = Tier.platform
    db.session.commit()
    with unit_of_work():
        meeting = meetings.schedule(tree.b1, actor=moderator, title="议事会", kind=MeetingKind.circle,
                                    form=MeetingForm.online, starts_at=clock.utcnow(), location="",
                                    quorum=Quorum.none, invite_residents=True, free_items=["漏水"])
    for step in ("start", "end"):
        with unit_of_work():
            meetings.change_state(meeting, step, actor=moderator)
    with unit_of_work():
        ballot = voting.draft_ballot(tree.b1, actor=moderator, question="同意维修吗？", electorate=Electorate.households,
                                     secrecy=Secrecy.secret, rule="simple_majority")
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    with unit_of_work():
        voting.cast(ballot, actor=here, choice=Choice.yes)
    with unit_of_work():
        voting.close_ballot(ballot, actor=moderator)
    with unit_of_work():
        motion = motions.assign(tree.b1, actor=moderator, title="维修屋顶", body="屋顶漏水", organisations=[company])
    ids = {
        "place_id": tree.b1.id, "proposal_id": proposal.id, "meeting_id": meeting.id, "ballot_id": ballot.id,
        "motion_id": motion.id, "household_id": home.id, "grid_id": grid.id, "organisation_id": company.id,
        "user_id": here.id, "minutes_id": db.session.scalar(select(Minutes.id)),
        "voter_id": db.session.scalar(select(BallotVoter.id).where(BallotVoter.ballot_id == ballot.id)),
        "number": 1, "kind": "md",
    }
    return type("World", (), dict(tree=tree, here=here, there=there, ids=ids, platform=platform))


def _pages(app, ids):
    """Every GET page that takes an id, with the ids of the world's records."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.arguments or rule.endpoint == "static":
            continue
        if rule.endpoint in TOKEN_ROUTES:
            continue
        missing = rule.arguments - ids.keys()
        assert not missing, f"{rule.rule}: give the world a record for {missing}"
        pages.append(_url(rule.rule, ids))
    return pages


def _url(rule: str, ids: dict) -> str:
    import re

    return re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", lambda m: str(ids[m.group(1)]), rule.replace("<any(pdf, md):kind>", "<kind>"))


def _login(client, auth, phone):
    auth.logout()
    assert auth.login(phone).status_code == 302


def test_a_resident_of_another_community_opens_no_page_of_this_one(app, client, auth, world):
    _login(client, auth, world.there.phone)
    opened = {}
    for url in _pages(app, world.ids):
        status = client.get(url).status_code
        if status not in (403, 404):
            opened[url] = status
    assert opened == {}


def test_a_resident_reads_their_own_community(client, auth, world):
    _login(client, auth, world.here.phone)
    ids = world.ids
    for url in (f"/places/{ids['place_id']}", f"/places/{ids['place_id']}/proposals",
                f"/proposals/{ids['proposal_id']}", f"/meetings/{ids['meeting_id']}",
                f"/ballots/{ids['ballot_id']}", f"/motions/{ids['motion_id']}",
                f"/places/{ids['place_id']}/motions", f"/places/{ids['place_id']}/meetings",
                f"/places/{ids['place_id']}/ballots", f"/places/{ids['place_id']}/archive",
                f"/places/{ids['place_id']}/figures", f"/places/{world.tree.fc.id}"):
        assert client.get(url).status_code == 200, url


def test_what_the_subdistrict_publishes_is_read_by_every_community(client, auth, world):
    _login(client, auth, world.there.phone)
    assert client.get(f"/places/{world.tree.sub.id}").status_code == 200
    assert client.get(f"/places/{world.tree.sub.id}/figures").status_code == 200
    assert client.get(f"/proposals/{world.platform.id}").status_code == 200     # a platform-tier matter
    assert client.get(f"/places/{world.tree.jm.id}").status_code == 200          # their own community


def test_an_installation_may_open_every_place_to_everyone(app, client, auth, world):
    app.config["READ_SCOPE"] = "installation"
    _login(client, auth, world.there.phone)
    assert client.get(f"/proposals/{world.ids['proposal_id']}").status_code == 200
    assert client.get(f"/places/{world.ids['place_id']}").status_code == 200


def test_search_from_the_subdistrict_finds_only_what_the_reader_may_read(client, auth, world):
    url = f"/places/{world.tree.sub.id}/search?q=漏水"
    _login(client, auth, world.here.phone)
    page = client.get(url).get_data(as_text=True)
    assert "楼上<mark>漏水</mark>" in page and "维修屋顶" in page
    _login(client, auth, world.there.phone)
    page = client.get(url).get_data(as_text=True)
    assert "楼上" not in page and "维修屋顶" not in page
    assert "小区<mark>停车</mark>难" in client.get(f"/places/{world.tree.sub.id}/search?q=停车").get_data(as_text=True)
