"""Role × place × state for the rules of meetings, minutes and motions (``permissions``):
every rule is asked of every role held in building 1, for records in building 1, in the
next building and in another community, in each state."""
from datetime import timedelta

import pytest

from consult import permissions
from consult.accounts.models import MODERATORS, Organisation, OrganisationKind, OrganisationMember, Role
from consult.clock import utcnow
from consult.extensions import db
from consult.meetings.models import Invitee, Meeting, MeetingForm, MeetingKind, MeetingState
from consult.minutes.models import Minutes, MinutesState, MinutesVersion, Signer, SignerRole
from consult.motions.models import Motion, MotionState, Raters, Responder

# Where a role held in building 1 reaches: b1 and below; it reads its community (b2).
TARGETS = ["b1", "b2", "jb"]
COVERED = {"b1"}
READ = {"b1", "b2"}


def meeting_in(place, moderator, *, state=MeetingState.scheduled, recorder=None) -> Meeting:
    meeting = Meeting(place=place, title="议事会", kind=MeetingKind.circle, form=MeetingForm.online,
                      starts_at=utcnow(), moderator_id=moderator.id, recorder_id=getattr(recorder, "id", None),
                      state=state)
    db.session.add(meeting)
    db.session.commit()
    return meeting


@pytest.fixture
def chair(tree, make_user):
    return make_user("社区书记", role=Role.moderator, place=tree.sub)


# --- meetings ------------------------------------------------------------------------------------

@pytest.mark.parametrize("state", [MeetingState.scheduled, MeetingState.live, MeetingState.ended])
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", list(Role))
def test_meeting_rules_by_role_place_and_state(tree, make_user, chair, role, target, state):
    user = make_user("某人", role=role, place=tree.b1)
    place = getattr(tree, target)
    meeting = meeting_in(place, chair, state=state)
    inside = target in COVERED
    runs = role in MODERATORS and inside
    assert permissions.can_schedule_meeting(user, place) is runs
    assert permissions.can_run_meeting(user, meeting) is runs
    assert permissions.can_enter_meeting(user, meeting) is runs
    assert permissions.can_view_meeting(user, meeting) is (inside and role is not Role.resident)


MEETING_PEOPLE = [
    # who, enter, view, run
    ("invitee from another community", True, True, False),
    ("recorder from another community", True, True, False),
    ("resident of the building", False, True, False),
    ("resident of the next building", False, False, False),
    ("resident of another community", False, False, False),
    ("moderator of the community", True, True, True),
    ("nobody signed in", False, False, False),
]


@pytest.mark.parametrize("who, enter, view, run", MEETING_PEOPLE)
def test_meeting_rules_by_person(tree, make_user, make_household, chair, who, enter, view, run):
    from flask_login import AnonymousUserMixin

    people = {
        "invitee from another community": lambda: make_user("专家", household=make_household(tree.jb, "301")),
        "recorder from another community": lambda: make_user("记录员", household=make_household(tree.jb, "302")),
        "resident of the building": lambda: make_user("王", household=make_household(tree.e1, "101")),
        "resident of the next building": lambda: make_user("孙", household=make_household(tree.b2, "101")),
        "resident of another community": lambda: make_user("刘", household=make_household(tree.jb, "101")),
        "moderator of the community": lambda: make_user("李", role=Role.moderator, place=tree.fc),
        "nobody signed in": AnonymousUserMixin,
    }
    person = people[who]()
    meeting = meeting_in(tree.b1, chair, recorder=person if who.startswith("recorder") else None)
    if who.startswith("invitee"):
        db.session.add(Invitee(meeting_id=meeting.id, user_id=person.id))
        db.session.commit()
    assert permissions.can_enter_meeting(person, meeting) is enter
    assert permissions.can_view_meeting(person, meeting) is view
    assert permissions.can_run_meeting(person, meeting) is run


# --- minutes -------------------------------------------------------------------------------------

MINUTES_PEOPLE = ["moderator", "recorder", "representative", "resident", "invitee", "neighbour", "outsider"]
# who: (write, sign, view a draft, view published, remark while public)
MINUTES_TABLE = {
    "moderator": (True, True, True, True, True),
    "recorder": (True, False, True, True, True),          # lives in the next building, enters the meeting
    "representative": (False, True, True, True, True),    # lives in the building and signs
    "resident": (False, False, False, True, True),        # lives in the building
    "invitee": (False, False, False, False, True),        # from another community, invited
    "neighbour": (False, False, False, True, False),      # the next building reads, lives elsewhere
    "outsider": (False, False, False, False, False),
}


@pytest.mark.parametrize("state", list(MinutesState))
@pytest.mark.parametrize("who", MINUTES_PEOPLE)
def test_minutes_rules_by_person_and_state(tree, make_user, make_household, who, state):
    people = dict(
        moderator=make_user("李书记", role=Role.moderator, place=tree.fc),
        recorder=make_user("记录员", household=make_household(tree.b2, "201")),
        representative=make_user("代表", household=make_household(tree.e1, "102")),
        resident=make_user("王", household=make_household(tree.e1, "101")),
        invitee=make_user("专家", household=make_household(tree.jb, "301")),
        neighbour=make_user("孙", household=make_household(tree.b2, "101")),
        outsider=make_user("刘", household=make_household(tree.jb, "101")),
    )
    meeting = meeting_in(tree.b1, people["moderator"], state=MeetingState.ended, recorder=people["recorder"])
    db.session.add(Invitee(meeting_id=meeting.id, user_id=people["invitee"].id))
    published = state in (MinutesState.publicity, MinutesState.archived)
    minutes = Minutes(meeting=meeting, place_id=tree.b1.id, state=state, published_at=utcnow() if published else None)
    minutes.versions.append(MinutesVersion(number=1, title="纪要", body="……", signed_at=utcnow() if published else None,
                                           sha256="0" * 64 if published else None))
    minutes.signers += [Signer(user_id=people["moderator"].id, role=SignerRole.moderator),
                        Signer(user_id=people["representative"].id, role=SignerRole.representative)]
    db.session.add(minutes)
    db.session.commit()
    write, sign, view_draft, view_published, remark = MINUTES_TABLE[who]
    user = people[who]
    assert permissions.can_write_minutes(user, minutes) is write
    assert permissions.signs_minutes(user, minutes) is sign
    assert permissions.can_view_minutes(user, minutes) is (view_published if published else view_draft)
    assert permissions.can_view_minutes_version(user, minutes.latest) is (view_published if published
                                                                          else view_draft)
    assert permissions.can_remark_minutes(user, minutes) is (remark and state is MinutesState.publicity)
    assert permissions.can_answer_remark(user, minutes) is (who == "moderator")


# --- motions -------------------------------------------------------------------------------------

def motion_in(place, moderator, organisation, *, state=MotionState.assigned) -> Motion:
    now = utcnow()
    motion = Motion(place=place, title="修复电梯", body="", raters=Raters.place, created_by_id=moderator.id,
                    created_at=now, complete_by=now + timedelta(days=30), state=state,
                    evaluation_closes_at=now + timedelta(days=7), evaluation_round=1)
    motion.responders.append(Responder(organisation=organisation, acknowledge_by=now + timedelta(days=1)))
    db.session.add(motion)
    db.session.commit()
    return motion


@pytest.fixture
def company(tree, make_user):
    staff = make_user("物业经理", role=Role.property_manager, place=tree.jm)
    organisation = Organisation(place=tree.sub, kind=OrganisationKind.property_company, name="物业")
    db.session.add(organisation)
    db.session.add(OrganisationMember(organisation=organisation, user=staff))
    db.session.commit()
    return type("Company", (), dict(organisation=organisation, staff=staff))


@pytest.mark.parametrize("state", [MotionState.assigned, MotionState.completed, MotionState.closed])
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", list(Role))
def test_motion_rules_by_role_place_and_state(tree, make_user, chair, company, role, target, state):
    user = make_user("某人", role=role, place=tree.b1)
    place = getattr(tree, target)
    motion = motion_in(place, chair, company.organisation, state=state)
    moderates = role in MODERATORS and target in COVERED
    assert permissions.can_assign_motion(user, place) is moderates
    assert permissions.can_moderate_motion(user, motion) is moderates
    assert permissions.can_view_motion(user, motion) is (target in READ)
    assert permissions.is_responder(user, motion) is False
    # A moderator's actions, where the state allows them; never a responder's.
    assert permissions.can_take_motion_action(user, motion, "withdraw") is (
        moderates and state is MotionState.assigned)
    assert permissions.can_take_motion_action(user, motion, "close") is (moderates and state is MotionState.completed)
    assert permissions.can_take_motion_action(user, motion, "acknowledge") is False


MOTION_ACTIONS = [
    # who, state, action, allowed
    ("responder", MotionState.assigned, "acknowledge", True),
    ("responder", MotionState.assigned, "accept", True),
    ("responder", MotionState.in_progress, "complete", True),
    ("responder", MotionState.completed, "complete", False),
    ("responder", MotionState.completed, "rate", False),
    ("responder", MotionState.assigned, "withdraw", False),
    ("rater", MotionState.completed, "rate", True),
    ("rater", MotionState.in_progress, "rate", False),
    ("rater", MotionState.assigned, "accept", False),
    ("outsider", MotionState.completed, "rate", False),
    ("moderator", MotionState.reopened, "send_back", True),
    ("moderator", MotionState.assigned, "send_back", False),
    ("moderator", MotionState.in_progress, "grant_time", True),
    ("moderator", MotionState.in_progress, "complete", False),
]


@pytest.mark.parametrize("who, state, action, allowed", MOTION_ACTIONS)
def test_motion_actions_by_person_and_state(tree, make_user, make_household, chair, company, who, state, action,
                                            allowed):
    people = dict(responder=company.staff, rater=make_user("王", household=make_household(tree.e1, "101")),
                  outsider=make_user("刘", household=make_household(tree.jb, "101")), moderator=chair)
    motion = motion_in(tree.b1, chair, company.organisation, state=state)
    assert permissions.can_take_motion_action(people[who], motion, action) is allowed
    assert permissions.can_view_motion(people[who], motion) is (who != "outsider")
