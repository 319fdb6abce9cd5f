"""The role tables of the permission tests, run through the API: every role held in
building 1 reads (or not) the records of building 1, the next building and another
community, and takes (or not) the motion actions, exactly as the rules say for the pages."""
import pytest

from consult.accounts.models import Role
from consult.meetings.models import MeetingState
from tests.test_permissions_domains import (  # noqa: F401  (fixtures)
    COVERED, MOTION_ACTIONS, READ, TARGETS, chair, company, meeting_in, motion_in)

# The API's request for each action of the table it exposes.
API_ACTIONS = {
    "acknowledge": ("acknowledge", {}),
    "accept": ("answer", {"answer": "accept"}),
    "complete": ("complete", {"body": "已完成"}),
    "rate": ("rate", {"score": "satisfied"}),
}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", list(Role))
def test_motions_are_read_by_role_and_place(api, make_token, tree, make_user, chair, company, role, target):
    user = make_user("某人", role=role, place=tree.b1)
    motion = motion_in(getattr(tree, target), chair, company.organisation)
    response = api(make_token(user)).get(f"/api/v1/motions/{motion.id}")
    assert response.status_code == (200 if target in READ else 404)
    if response.status_code == 200:
        moderates = role in (Role.moderator, Role.administrator) and target in COVERED
        assert ("withdraw" in response.get_json()["actions"]) is moderates


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", list(Role))
def test_meetings_are_read_by_role_and_place(api, make_token, tree, make_user, chair, role, target):
    user = make_user("某人", role=role, place=tree.b1)
    meeting = meeting_in(getattr(tree, target), chair, state=MeetingState.scheduled)
    viewed = target in COVERED and role is not Role.resident
    assert api(make_token(user)).get(f"/api/v1/meetings/{meeting.id}").status_code == (200 if viewed else 404)


@pytest.mark.parametrize("who, state, action, allowed",
                         [row for row in MOTION_ACTIONS if row[2] in API_ACTIONS])
def test_motion_actions_through_the_api(api, make_token, tree, make_user, make_household, chair, company, who,
                                        state, action, allowed):
    people = dict(responder=company.staff, rater=make_user("王", household=make_household(tree.e1, "101")),
                  outsider=make_user("刘", household=make_household(tree.jb, "101")), moderator=chair)
    motion = motion_in(tree.b1, chair, company.organisation, state=state)
    path, body = API_ACTIONS[action]
    response = api(make_token(people[who])).post(f"/api/v1/motions/{motion.id}/{path}", json=body)
    if allowed:
        assert response.status_code == 200, response.get_json()
    else:
        assert response.status_code in (403, 404, 409), response.get_json()
        assert response.mimetype == "application/problem+json"
