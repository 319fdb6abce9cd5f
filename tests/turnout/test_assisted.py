"""Assisted votes: a grid worker or building leader sits with an elderly owner, who votes on
the helper's phone and confirms with a code sent to their own phone or a signature photo.
A phone-call vote is a paper ballot with a witness. Each is the owner's one vote."""
import io
from datetime import datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from consult import clock
from consult.database import unit_of_work
from consult.errors import Conflict, InvalidInput, NotAllowed, TooManyAttempts
from consult.extensions import db
from consult.notifications.outbox import DeliverySetting
from consult.turnout import service as turnout
from consult.turnout.models import AssistCode
from consult.voting import service as voting
from consult.voting.models import BallotBoxEntry, BallotVoter, Channel, Choice, Participation

from tests.notifications.servers import TencentSmsServer
from tests.notifications.test_sms import TEMPLATES, tencent
from tests.turnout.test_desk import community, owners_ballot  # noqa: F401  (a fixture and a helper)
from tests.voting.test_pages import people, run_ballot  # noqa: F401  (a fixture and a helper)


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return out.getvalue()


def voter_for(ballot, person) -> BallotVoter:
    return db.session.scalar(select(BallotVoter).where(BallotVoter.ballot_id == ballot.id,
                                                        BallotVoter.user_id == person.id))


@pytest.fixture
def sms(app):
    with TencentSmsServer("AKID-test", "secret-of-the-test") as server:
        app.config.update(SMS_SIGN_NAME="协商议事", SMS_TEMPLATES=TEMPLATES, OUTBOX_SEND_AFTER_COMMIT=False)
        tencent(app, server)
        clock.set_now(datetime(2026, 12, 2, 2, 0))
        yield server
        clock.set_now(None)


def verified(person, number):
    db.session.add(DeliverySetting(user_id=person.id, code_attempts=0, sms_number=number,
                                   sms_verified_at=datetime(2026, 12, 1)))
    db.session.commit()


def test_an_assisted_vote_with_a_signature_photo_carries_the_helpers_name(client, auth, tree, community):
    ballot = owners_ballot(tree, community)
    voter = voter_for(ballot, community.zhao)
    auth.login("grid")
    page = client.get(f"/ballots/{ballot.id}/voters/{voter.id}/assist").get_data(as_text=True)
    assert "赵" in page and "没有已验证的手机号" in page
    response = client.post_form(f"/ballots/{ballot.id}/voters/{voter.id}/assist",
                                {"choice": "yes", "signature": (io.BytesIO(photo()), "sign.png")},
                                content_type="multipart/form-data")
    assert response.status_code == 302
    part = db.session.scalar(select(Participation).where(Participation.voter_id == voter.id))
    assert (part.channel, part.cast_by_id, part.witness, part.choice) == (Channel.assisted, community.grid.id,
                                                                           "陈网格员", "yes")
    assert part.evidence and part.evidence != "pending"
    assert voting.tally(ballot).of("yes").headcount == 1


def test_an_assisted_vote_confirmed_by_the_code_sent_to_the_owners_own_phone(client, auth, tree, community, sms):
    ballot = owners_ballot(tree, community)
    verified(community.zhao, "13900000003")
    voter = voter_for(ballot, community.zhao)
    auth.login("grid")
    assert "139****0003" in client.get(f"/ballots/{ballot.id}/voters/{voter.id}/assist").get_data(as_text=True)
    assert client.post_form(f"/ballots/{ballot.id}/voters/{voter.id}/assist/code").status_code == 302
    request = sms.requests[-1]
    assert request["PhoneNumberSet"] == ["+8613900000003"]
    code = request["TemplateParamSet"][0]
    wrong = "000000" if code != "000000" else "111111"
    url = f"/ballots/{ballot.id}/voters/{voter.id}/assist"
    assert client.post_form(url, {"choice": "no", "code": wrong}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0
    assert db.session.scalar(select(AssistCode.attempts)) == 1
    assert client.post_form(url, {"choice": "no", "code": code}).status_code == 302
    part = db.session.scalar(select(Participation).where(Participation.voter_id == voter.id))
    assert (part.channel, part.choice, part.witness) == (Channel.assisted, "no", "陈网格员")
    # The code is spent.
    with pytest.raises(InvalidInput):
        turnout._code_matches(ballot, voter, code)


def test_wrong_codes_stop_after_five(tree, community, sms):
    ballot = owners_ballot(tree, community)
    verified(community.zhao, "13900000003")
    voter = voter_for(ballot, community.zhao)
    with unit_of_work():
        turnout.ask_assist_code(ballot, voter, actor=community.grid)
    code = sms.requests[-1]["TemplateParamSet"][0]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with unit_of_work():
            assert turnout.cast_assisted(ballot, voter, actor=community.grid, choice="yes", code=wrong) is None
    with pytest.raises(TooManyAttempts):
        with unit_of_work():
            turnout.cast_assisted(ballot, voter, actor=community.grid, choice="yes", code=code)
    with pytest.raises(TooManyAttempts):      # and no new code within the minute
        with unit_of_work():
            turnout.ask_assist_code(ballot, voter, actor=community.grid)


def test_without_a_verified_number_no_code_is_sent(tree, community, sms):
    ballot = owners_ballot(tree, community)
    with pytest.raises(InvalidInput):
        with unit_of_work():
            turnout.ask_assist_code(ballot, voter_for(ballot, community.zhao), actor=community.grid)
    assert sms.requests == []


def test_only_the_staff_of_the_owners_building_may_assist(tree, community):
    ballot = owners_ballot(tree, community)
    with pytest.raises(NotAllowed):
        with unit_of_work():
            turnout.cast_assisted(ballot, voter_for(ballot, community.zhao), actor=community.leader2, choice="yes",
                                  signature=photo())
    with pytest.raises(NotAllowed):
        with unit_of_work():
            turnout.cast_assisted(ballot, voter_for(ballot, community.zhao), actor=community.zhang, choice="yes",
                                  signature=photo())
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0


def _online(ballot, community, config):
    voting.cast(ballot, actor=community.zhao, choice=Choice.yes)


def _assisted(ballot, community, config):
    turnout.cast_assisted(ballot, voter_for(ballot, community.zhao), actor=community.grid, choice="no",
                          signature=photo(), config=config)


def _phone_call(ballot, community, config):
    """A phone-call vote: a paper ballot entered with a witness."""
    voting.enter_paper(ballot, voter_for(ballot, community.zhao), actor=community.grid, choice="abstain",
                       photo=photo(), witness="周楼长（电话见证）", config=config)


@pytest.mark.parametrize("first, second", [(_online, _assisted), (_assisted, _online), (_assisted, _phone_call),
                                           (_phone_call, _assisted)])
def test_each_channel_takes_the_owners_one_vote(app, tree, community, first, second):
    ballot = owners_ballot(tree, community)
    with unit_of_work():
        first(ballot, community, app.config)
    with pytest.raises(Conflict):
        with unit_of_work():
            second(ballot, community, app.config)
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1
    assert voting.tally(ballot).cast.headcount == 1


def test_an_assisted_secret_vote_goes_into_the_box_and_shows_its_receipt_once(client, auth, tree, community):
    ballot = run_ballot(client, auth, tree.b1, secrecy="secret")
    voter = db.session.scalar(select(BallotVoter).where(BallotVoter.ballot_id == ballot.id,
                                                        BallotVoter.household_id.is_not(None))
                              .order_by(BallotVoter.id.desc()))
    auth.login("grid")
    response = client.post_form(f"/ballots/{ballot.id}/voters/{voter.id}/assist",
                                {"choice": "yes", "signature": (io.BytesIO(photo()), "sign.png")},
                                content_type="multipart/form-data")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    box = db.session.scalar(select(BallotBoxEntry))
    assert box.choice == "yes" and box.receipt in response.get_data(as_text=True)
    part = db.session.scalar(select(Participation))
    assert part.channel is Channel.assisted and part.choice is None and part.receipt is None
