import pytest
from flask_babel import force_locale

from consult.database import unit_of_work
from consult.errors import InvalidInput, InvalidTransition, NotAllowed
from consult.wishes import service as wishes
from consult.wishes.lifecycle import TRANSITIONS
from consult.wishes.models import WishState


def post(place, actor):
    with unit_of_work():
        return wishes.post_wish(place, actor=actor, title="想请人帮忙换个灯泡", body="厨房的灯坏了")


def step(wish, action, actor, note=""):
    with unit_of_work():
        return wishes.change_wish(wish, action, actor=actor, note=note)


def test_a_wish_comes_true(folks, tree):
    wish = post(tree.e1, folks.author)
    step(wish, "claim", folks.volunteer)
    assert wish.state is WishState.claimed and wish.claimed_by_id == folks.volunteer.id
    step(wish, "fulfil", folks.volunteer, note="周六上午换好了")
    assert wish.state is WishState.fulfilled and wish.fulfil_note == "周六上午换好了"
    step(wish, "confirm", folks.author)
    assert wish.state is WishState.confirmed and wish.confirmed_at is not None


def test_the_author_cannot_claim_their_own_wish(folks, tree):
    wish = post(tree.e1, folks.author)
    with force_locale("en"), pytest.raises(NotAllowed, match="your own wish"):
        step(wish, "claim", folks.author)


def test_someone_of_another_community_cannot_claim(folks, tree):
    wish = post(tree.e1, folks.author)
    with pytest.raises(NotAllowed):
        step(wish, "claim", folks.stranger)


def test_a_claimed_wish_cannot_be_claimed_again(folks, tree):
    wish = post(tree.e1, folks.author)
    step(wish, "claim", folks.volunteer)
    with pytest.raises(InvalidTransition):
        step(wish, "claim", folks.other)


def test_only_the_claimant_fulfils_and_with_a_note(folks, tree):
    wish = post(tree.e1, folks.author)
    step(wish, "claim", folks.volunteer)
    with pytest.raises(NotAllowed):
        step(wish, "fulfil", folks.other, note="我做的")
    with pytest.raises(InvalidInput):
        step(wish, "fulfil", folks.volunteer, note="  ")
    assert wish.state is WishState.claimed


def test_only_the_author_confirms_and_may_send_it_back(folks, tree):
    wish = post(tree.e1, folks.author)
    step(wish, "claim", folks.volunteer)
    step(wish, "fulfil", folks.volunteer, note="换好了")
    with pytest.raises(NotAllowed):
        step(wish, "confirm", folks.volunteer)
    step(wish, "reject", folks.author)
    assert wish.state is WishState.claimed and wish.fulfilled_at is None


def test_giving_back_frees_the_wish_for_another(folks, tree):
    wish = post(tree.e1, folks.author)
    step(wish, "claim", folks.volunteer)
    step(wish, "release", folks.volunteer)
    assert wish.state is WishState.posted and wish.claimed_by_id is None
    step(wish, "claim", folks.other)
    assert wish.claimed_by_id == folks.other.id


def test_a_resident_posts_only_where_they_live(folks, tree):
    with pytest.raises(NotAllowed):
        post(tree.b2, folks.author)
    with pytest.raises(NotAllowed):
        post(tree.e1, folks.moderator)


def test_every_action_refused_from_a_state_it_does_not_start_from(folks, tree):
    wish = post(tree.e1, folks.author)
    step(wish, "withdraw", folks.author)
    for action in TRANSITIONS:
        for who in (folks.author, folks.volunteer, folks.moderator):
            assert not wishes.can_take(who, wish, action)
            with pytest.raises(InvalidTransition):
                step(wish, action, who, note="x")


@pytest.mark.parametrize("action, state, allowed", [
    ("claim", WishState.posted, {"volunteer", "other", "moderator"}),
    ("withdraw", WishState.posted, {"author", "moderator"}),
    ("fulfil", WishState.claimed, {"volunteer"}),
    ("release", WishState.claimed, {"volunteer", "moderator"}),
])
def test_who_may_take_each_step(folks, tree, action, state, allowed):
    wish = post(tree.e1, folks.author)
    if state is WishState.claimed:
        step(wish, "claim", folks.volunteer)
    who = {name: getattr(folks, name) for name in ("author", "volunteer", "other", "stranger", "moderator")}
    assert {name for name, person in who.items() if wishes.can_take(person, wish, action)} == allowed
