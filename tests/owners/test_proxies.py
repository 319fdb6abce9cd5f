"""Proxies (书面委托): the proxy casts the owner's one vote; whoever casts first takes it."""
import io
from datetime import timedelta

import pytest
from flask_babel import force_locale
from PIL import Image

from consult import clock
from consult.database import unit_of_work
from consult.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from consult.owners import service as owners
from consult.owners.models import ProxyMethod
from consult.voting import service as voting
from consult.voting.models import Channel, Choice

from .conftest import T0, draft


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def ballot(tree, moderator, building):
    b = draft(tree, moderator)
    with unit_of_work():
        owners.publish_register(b, actor=moderator)
    with unit_of_work():
        owners.publish_notice(b, actor=moderator, matter="更换电梯")
    return b


def open_(ballot, moderator):
    clock.set_now(T0 + timedelta(days=20))
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)


def authorise(tree, owner, proxy, ballot=None, **kw):
    with unit_of_work():
        return owners.authorise_proxy(tree.b1, owner, actor=kw.pop("actor", owner), proxy=proxy, ballot=ballot, **kw)


def test_proxy_casts_the_owners_one_vote_and_the_owner_then_cannot(tree, moderator, building, ballot, make_user):
    son = make_user("王小明")
    owner = building.owners[0]
    authorise(tree, owner, son.phone, ballot)
    open_(ballot, moderator)
    with unit_of_work():
        owners.cast_by_proxy(ballot, owner.id, actor=son, choice="yes")
    part = voting.participation_of(ballot, voting.voter_of(ballot, owner))
    assert part.channel is Channel.proxy and part.cast_by_id == son.id
    assert owners.proxy_of_vote(ballot, part.voter_id).proxy_id == son.id
    with pytest.raises(Conflict):
        with unit_of_work():
            voting.cast(ballot, actor=owner, choice=Choice.no)
    tally = voting.tally(ballot)
    assert tally.cast.headcount == 1 and tally.of("yes").headcount == 1


def test_owner_voting_first_makes_the_proxys_vote_impossible(tree, moderator, building, ballot, make_user):
    son = make_user("王小明")
    owner = building.owners[0]
    authorise(tree, owner, son.phone, ballot)
    open_(ballot, moderator)
    with unit_of_work():
        voting.cast(ballot, actor=owner, choice=Choice.no)
    with force_locale("en"), pytest.raises(Conflict, match="already been cast"):
        with unit_of_work():
            owners.cast_by_proxy(ballot, owner.id, actor=son, choice="yes")
    assert voting.tally(ballot).of("no").headcount == 1 and voting.tally(ballot).cast.headcount == 1


def test_a_mobile_number_that_registers_later_holds_the_proxy(tree, moderator, building, ballot, make_user):
    owner = building.owners[1]
    authorisation = authorise(tree, owner, "13912345678", ballot)
    assert authorisation.proxy_id is None
    later = make_user("赵小山", phone="13912345678")
    open_(ballot, moderator)
    with unit_of_work():
        owners.cast_by_proxy(ballot, owner.id, actor=later, choice="no")
    assert authorisation.proxy_id == later.id


def test_nobody_else_votes_for_the_owner(tree, moderator, building, ballot, make_user):
    authorise(tree, building.owners[0], make_user("王小明").phone, ballot)
    open_(ballot, moderator)
    stranger = make_user("外人")
    with pytest.raises(NotAllowed):
        with unit_of_work():
            owners.cast_by_proxy(ballot, building.owners[0].id, actor=stranger, choice="yes")
    assert voting.turnout(ballot).headcount == 0


def test_a_proxy_holds_at_most_proxy_max_owners(app, tree, moderator, building, ballot, make_user,
                                                make_household):
    app.config["PROXY_MAX_OWNERS"] = 2
    helper = make_user("热心邻居")
    authorise(tree, building.owners[0], helper.phone, ballot)
    authorise(tree, building.owners[1], helper.username or helper.phone, ballot)
    with force_locale("en"), pytest.raises(InvalidInput, match="already holds the votes of 2 owners"):
        authorise(tree, building.owners[2], helper.phone, ballot)


def test_revocable_until_the_proxy_votes(tree, moderator, building, ballot, make_user):
    son = make_user("王小明")
    owner = building.owners[0]
    first = authorise(tree, owner, son.phone, ballot)
    with unit_of_work():
        owners.revoke_proxy(first, actor=owner)
    second = authorise(tree, owner, son.phone, ballot)
    open_(ballot, moderator)
    with unit_of_work():
        owners.cast_by_proxy(ballot, owner.id, actor=son, choice="yes")
    with force_locale("en"), pytest.raises(InvalidTransition, match="already voted"):
        with unit_of_work():
            owners.revoke_proxy(second, actor=owner)
    # A revoked authorisation no longer lets the proxy vote.
    other = building.owners[1]
    third = authorise(tree, other, son.phone, ballot)
    with unit_of_work():
        owners.revoke_proxy(third, actor=other)
    with pytest.raises(NotAllowed):
        with unit_of_work():
            owners.cast_by_proxy(ballot, other.id, actor=son, choice="yes")


def test_staff_record_a_signed_authorisation_with_its_photo_for_a_period(app, tree, moderator, building, ballot,
                                                                         make_user):
    daughter = make_user("钱小红")
    owner = building.owners[2]
    with force_locale("en"), pytest.raises(InvalidInput, match="photo of the signed authorisation"):
        authorise(tree, owner, daughter.phone, actor=moderator, valid_until=T0 + timedelta(days=90))
    authorisation = authorise(tree, owner, daughter.phone, actor=moderator, valid_until=T0 + timedelta(days=90),
                              photo=photo(), config=app.config)
    assert authorisation.method is ProxyMethod.signed and authorisation.photo
    open_(ballot, moderator)
    assert [a.id for a, _voter, _part in owners.held_in(ballot, daughter)] == [authorisation.id]
    with unit_of_work():
        owners.cast_by_proxy(ballot, owner.id, actor=daughter, choice="abstain")
    assert voting.tally(ballot).of("abstain").headcount == 1


def test_a_paper_ballot_signed_by_the_proxy_takes_the_one_vote(app, tree, moderator, building, ballot, make_user):
    son = make_user("王小明")
    owner = building.owners[0]
    authorise(tree, owner, son.phone, ballot)
    open_(ballot, moderator)
    with unit_of_work():
        owners.enter_proxy_paper(ballot, owner.id, son, actor=moderator, choice="yes", photo=photo(),
                                 witness="楼门长", config=app.config)
    part = voting.participation_of(ballot, voting.voter_of(ballot, owner))
    assert part.channel is Channel.proxy and part.evidence and part.witness == "楼门长"
    with pytest.raises(Conflict):
        with unit_of_work():
            owners.cast_by_proxy(ballot, owner.id, actor=son, choice="no")


def test_owner_and_proxy_casting_at_once_make_one_vote(app, tree, moderator, building, ballot, make_user):
    """The owner and their proxy press the button at the same moment, several times: one
    vote is counted, on either engine."""
    import threading

    from sqlalchemy import func, select

    from consult.accounts.models import User
    from consult.extensions import db
    from consult.owners.models import ProxyVote
    from consult.voting.models import Ballot, Participation

    son = make_user("王小明")
    owner = building.owners[0]
    authorise(tree, owner, son.phone, ballot)
    open_(ballot, moderator)
    jobs = [("owner", owner.id), ("proxy", son.id)] * 3
    barrier = threading.Barrier(len(jobs), timeout=30)
    errors, done = [], []

    def run(role, user_id):
        with app.app_context():
            try:
                user, target = db.session.get(User, user_id), db.session.get(Ballot, ballot.id)
                barrier.wait()
                with unit_of_work():
                    if role == "owner":
                        voting.cast(target, actor=user, choice=Choice.no)
                    else:
                        owners.cast_by_proxy(target, owner.id, actor=user, choice="yes")
                done.append(role)
            except Conflict:
                pass
            except Exception as error:  # noqa: BLE001 — any other error fails the test
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.commit()
    assert errors == [] and len(done) == 1
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1
    assert db.session.scalar(select(func.count()).select_from(ProxyVote)) == (1 if done == ["proxy"] else 0)
    assert voting.tally(ballot).cast.headcount == 1
