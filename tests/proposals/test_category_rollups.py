"""The matters per category and per month read from the counts kept as proposals are
written are those counted from the proposals themselves: random matters raised, moved,
reclassified, merged and unmerged across places and months."""
import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from consult.clock import start_of_local_day
from consult.database import unit_of_work
from consult.extensions import db
from consult.proposals import figures, rollups
from consult.proposals.models import Category, Proposal, ProposalCount, ProposalFact, ProposalState

PERIODS = [(date(2025, 1, 1), date(2027, 1, 1)), (date(2026, 2, 14), date(2026, 6, 3)),
           (date(2026, 3, 1), date(2026, 4, 1)), (date(2026, 5, 5), date(2026, 5, 6)),
           (date(2025, 12, 20), date(2026, 1, 19))]


def _rows(row):
    return (row.category.id if row.category else None, row.count, row.last_year)


def _assert_same(tree):
    for place in (tree.sub, tree.fc, tree.jm, tree.north, tree.b1, tree.b2, tree.e1, tree.jb):
        for first, after in PERIODS:
            start, end = start_of_local_day(first), start_of_local_day(after)
            assert [_rows(r) for r in figures.by_category(place, start, end)] == \
                [_rows(r) for r in figures.by_category(place, start, end, direct=True)], (place.name, first)
        for year in (2025, 2026):
            assert figures.monthly_two_years(place, year) == figures.monthly_two_years_direct(place, year)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_counts_give_the_matters_counted_from_the_proposals(tree, make_user, seed):
    rng = random.Random(seed)
    author = make_user("居民")
    categories = list(db.session.scalars(select(Category).order_by(Category.position)))[:4]
    places = [tree.b1, tree.b2, tree.e1, tree.north, tree.fc, tree.jb]
    made = []
    for _ in range(120):
        with unit_of_work():
            if not made or rng.random() < 0.5:
                at = datetime(2025, 1, 1) + timedelta(hours=rng.randrange(2 * 365 * 24), minutes=rng.randrange(60))
                proposal = Proposal(place=rng.choice(places), title="楼道堆物", body="详情", author_id=author.id,
                                    category_id=rng.choice(categories).id, created_at=at, updated_at=at)
                db.session.add(proposal)
                db.session.flush()
                made.append(proposal.id)
                continue
            proposal = db.session.get(Proposal, rng.choice(made))
            change = rng.choice(["category", "place", "merge", "unmerge", "both"])
            if change in ("category", "both"):
                proposal.category = rng.choice(categories)
            if change in ("place", "both"):
                proposal.place = rng.choice(places)
            if change == "merge":
                proposal.state = ProposalState.merged
            if change == "unmerge":
                proposal.state = ProposalState.submitted
    _assert_same(tree)
    counted = sum(figures.monthly_two_years(tree.sub, 2026)[0]) + sum(figures.monthly_two_years(tree.sub, 2026)[1])
    merged = db.session.scalar(select(db.func.count()).where(Proposal.state == ProposalState.merged))
    assert counted == len(made) - merged and merged > 0

    kept = sorted(tuple(r) for r in db.session.execute(select(ProposalCount.__table__)) if r[-1])
    facts = sorted(tuple(r) for r in db.session.execute(select(ProposalFact.__table__)))
    with unit_of_work():
        assert rollups.rebuild() == len(made) - merged
    assert sorted(tuple(r) for r in db.session.execute(select(ProposalCount.__table__)) if r[-1]) == kept
    assert sorted(tuple(r) for r in db.session.execute(select(ProposalFact.__table__))) == facts
