"""Who reads what: every page that takes an id, opened by a resident of the community it
belongs to and by a resident of another community of the same subdistrict."""
import re

import pytest
from sqlalchemy import select

from consult import clock
from consult.accounts import service as accounts
from consult.api import service as api_service
from consult.accounts.models import Organisation, OrganisationKind, OrganisationMember, Role, RoleGrant
from consult.database import unit_of_work
from consult.extensions import db
from consult.conventions import service as conventions
from consult.conventions.models import ConventionKind
from consult.councils import service as councils
from consult.grids import service as reports
from consult.meetings import service as meetings
from consult.meetings.models import MeetingForm, MeetingKind, Quorum
from consult.minutes.models import Minutes
from consult.motions import service as motions
from consult.places.models import Grid, HouseholdMember
from consult.proposals import service as proposals
from consult.proposals.models import Category, Tier
from consult.surveys import service as surveys
from consult.surveys.models import AnswerScope, QuestionKind
from consult.voting import service as voting
from consult.voting.models import BallotVoter, Choice, Electorate, Secrecy
from consult.wishes import service as wishes
from consult.webhooks import service as webhooks

# Routes whose id is an unguessable token rather than a number: a token is handed only to
# those who may see the page it is on, which the test of that page covers.
TOKEN_ROUTES = {"voting.evidence", "motions.photo", "proposals.photo", "owners.photo"}
# The JSON API is read with a bearer token, not a session: tests/api/test_visibility.py runs
# the same world through every one of its routes.
API_PREFIX = "/api/v1/"


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
    with unit_of_work():
        comment = proposals.comment(proposal, actor=here, body="楼上又漏了")
    administrator = make_user("社区管理员", username="admin", role=Role.administrator, place=tree.fc)
    with unit_of_work():
        invite = accounts.issue_invite(home, actor=administrator)
    with unit_of_work():
        survey = surveys.create_survey(tree.b1, actor=moderator, title="需求征集", description="",
                                       scope=AnswerScope.household)
        question = surveys.add_question(survey, actor=moderator, kind=QuestionKind.text, prompt="建议")
        surveys.open_survey(survey, actor=moderator)
    with unit_of_work():
        wish = wishes.post_wish(tree.e1, actor=here, title="想学用智能手机", body="")
    with unit_of_work():
        api_token, _ = api_service.create_personal_token(actor=here, name="手机", days=30)
        api_client, _ = api_service.register_client(actor=administrator, name="公告屏", user=moderator,
                                                    place_ids=[tree.fc.id], scopes=["read"])
        report = reports.raise_report(tree.e1, actor=here, title="楼道灯不亮")
    clinic = Organisation(place=tree.fc, kind=OrganisationKind.business, name="社区诊所")
    db.session.add(clinic)
    db.session.commit()
    with unit_of_work():
        partner = accounts.register_partner(tree.fc, clinic, actor=moderator, offer="义诊")
    with unit_of_work():
        convention = conventions.draft_convention(tree.b1, actor=moderator, kind=ConventionKind.residents,
                                                  title="楼栋公约", body="第一条 爱护环境")
    with unit_of_work():
        series = councils.create_series(tree.b1, actor=moderator, title="月度议事会", kind=MeetingKind.circle,
                                        cadence_months=1, day_of_month=15, local_time="19:30", form=MeetingForm.online)
    with unit_of_work():
        endpoint, _ = webhooks.register_endpoint(tree.fc, actor=administrator, url="http://127.0.0.1:9/hooks",
                                                 kinds=["proposal.raised"])
        [delivery] = webhooks.enqueue("proposal.raised", tree.b1, {"id": proposal.id})
    ids = {
        "place_id": tree.b1.id, "proposal_id": proposal.id, "meeting_id": meeting.id, "ballot_id": ballot.id,
        "motion_id": motion.id, "household_id": home.id, "grid_id": grid.id, "organisation_id": company.id,
        "user_id": here.id, "minutes_id": db.session.scalar(select(Minutes.id)),
        "voter_id": db.session.scalar(select(BallotVoter.id).where(BallotVoter.ballot_id == ballot.id)),
        "number": 1, "kind": "md", "comment_id": comment.id, "invite_id": invite.id, "remark_id": 1,
        "grant_id": db.session.scalar(select(RoleGrant.id).where(RoleGrant.user_id == moderator.id)),
        "member_id": db.session.scalar(select(HouseholdMember.id).where(HouseholdMember.user_id == here.id)),
        "sign_in_id": 1, "survey_id": survey.id, "question_id": question.id, "wish_id": wish.id,
        "token_id": api_token.id, "client_id": api_client.id, "endpoint_id": endpoint.id, "delivery_id": delivery.id,
        "building_id": tree.b1.id,
        "entry_id": 1, "objection_id": 1, "owner_id": here.id, "proxy_id": 1, "claim_id": 1,
        "report_id": report.id, "partner_id": partner.id, "series_id": series.id,
        "convention_id": convention.id,
    }
    return type("World", (), dict(tree=tree, here=here, there=there, ids=ids, platform=platform, moderator=moderator,
                                  manager=manager, company=company, proposal=proposal, ballot=ballot, motion=motion,
                                  meeting=meeting))


def _pages(app, ids):
    """Every GET page that takes an id, with the ids of the world's records."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.arguments or rule.endpoint == "static":
            continue
        if rule.endpoint in TOKEN_ROUTES or rule.rule.startswith(API_PREFIX):
            continue
        missing = rule.arguments - ids.keys()
        assert not missing, f"{rule.rule}: give the world a record for {missing}"
        pages.append(_url(rule.rule, ids))
    return pages


def _url(rule: str, ids: dict) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", lambda m: str(ids[m.group(1)]), rule.replace("<any(pdf, md):kind>", "<kind>"))


def _actions(app, ids):
    """Every POST that takes an id, once for each of its actions, with the ids of the
    world's records."""
    posts = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or not rule.arguments or rule.rule.startswith(API_PREFIX):
            continue
        choices = re.search(r"<any\(([^)]*)\):(\w+)>", rule.rule)
        values = [c.strip() for c in choices.group(1).split(",")] if choices else [None]
        for value in values:
            path = rule.rule if value is None else rule.rule.replace(choices.group(0), value)
            missing = set(re.findall(r"<(?:[^:<>]+:)?([a-z_]+)>", path)) - ids.keys()
            assert not missing, f"{rule.rule}: give the world a record for {missing}"
            posts.append(_url(path, ids))
    return posts


# What an action by anyone would fill in, so that a refusal is the rule's, not the form's.
EVERY_FIELD = {"body": "外人写的", "reason": "外人写的", "title": "外人写的", "name": "外人写的", "confirmed": "1",
               "answer": "accept", "score": "satisfied", "choice": "yes", "until": "2099-01-01", "grant": "y",
               "days": "3", "location": "外面", "starts_at": "2099-01-01T09:00", "question": "外人的表决",
               "rule": "simple_majority", "kind": "yes_no", "electorate": "households", "secrecy": "named",
               "max_choices": "1", "witness": "外人", "people": "13900000002", "role": "moderator",
               "room": "999", "area": "80", "relation": "owner", "phone": "13900000002", "active": "",
               "free_items": "外人的议程", "quorum": "none", "form": "online", "category_id": "1", "tier": "platform",
               "into": "1", "lead": "1", "raters": "place", "closes_on": "2099-01-01", "description": "外人写的"}


def _fingerprint() -> dict:
    """Every row of every table but the sign-ins of those who act (what each request may
    rightly touch)."""
    db.session.expire_all()
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name in ("sign_ins", "signed_out_logins", "login_failures"):
            continue
        rows[table.name] = sorted(map(repr, db.session.execute(table.select()).all()))
    return rows


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


def test_a_resident_of_another_community_changes_nothing_here(app, client, auth, world):
    _login(client, auth, world.there.phone)
    before = _fingerprint()
    for url in _actions(app, world.ids):
        status = client.post_form(url, EVERY_FIELD).status_code
        assert status < 500, url
    assert _fingerprint() == before
    # The same form from a resident of the place does write: the refusals above are the rules'.
    _login(client, auth, world.here.phone)
    client.post_form(f"/proposals/{world.ids['proposal_id']}/comments", EVERY_FIELD)
    assert _fingerprint()["proposal_comments"] != before["proposal_comments"]


def test_a_resident_reads_their_own_community(client, auth, world):
    _login(client, auth, world.here.phone)
    ids = world.ids
    for url in (f"/places/{ids['place_id']}", f"/places/{ids['place_id']}/proposals",
                f"/proposals/{ids['proposal_id']}", f"/meetings/{ids['meeting_id']}",
                f"/ballots/{ids['ballot_id']}", f"/motions/{ids['motion_id']}",
                f"/places/{ids['place_id']}/motions", f"/places/{ids['place_id']}/meetings",
                f"/places/{ids['place_id']}/ballots", f"/places/{ids['place_id']}/archive",
                f"/places/{ids['place_id']}/figures", f"/places/{world.tree.fc.id}",
                f"/places/{ids['place_id']}/surveys", f"/surveys/{ids['survey_id']}",
                f"/places/{ids['place_id']}/wishes", f"/wishes/{ids['wish_id']}"):
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
