"""Counts per place for the operator (``flask --app consult stats``): each place with what
lies in it and below it. One grouped query per kind of record, rolled up the tree here."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from .extensions import db
from .places.models import Household, HouseholdMember, Place

COLUMNS = ("households", "residents", "proposals", "meetings", "ballots", "motions", "open_motions", "minutes")


def _per_place() -> dict[str, Counter]:
    from .meetings.models import Meeting
    from .minutes.models import Minutes
    from .motions.models import OPEN_STATES, Motion
    from .proposals.models import Proposal
    from .voting.models import Ballot

    queries = {
        "households": select(Household.place_id, func.count()).group_by(Household.place_id),
        "residents": select(Household.place_id, func.count(func.distinct(HouseholdMember.user_id)))
        .join(HouseholdMember, HouseholdMember.household_id == Household.id).group_by(Household.place_id),
        "proposals": select(Proposal.place_id, func.count()).group_by(Proposal.place_id),
        "meetings": select(Meeting.place_id, func.count()).group_by(Meeting.place_id),
        "ballots": select(Ballot.place_id, func.count()).group_by(Ballot.place_id),
        "motions": select(Motion.place_id, func.count()).group_by(Motion.place_id),
        "open_motions": select(Motion.place_id, func.count()).where(Motion.state.in_(OPEN_STATES))
        .group_by(Motion.place_id),
        "minutes": select(Minutes.place_id, func.count()).group_by(Minutes.place_id),
    }
    out: dict[str, Counter] = {}
    for column, query in queries.items():
        out[column] = Counter(dict(db.session.execute(query).all()))
    return out


def counts(depth: int = 2) -> list[tuple[Place, dict[str, int]]]:
    """Every place at most ``depth`` levels from the top, in tree order, with the counts
    of its subtree (a resident in two households of a place counts in each)."""
    places = list(db.session.scalars(select(Place).order_by(Place.path)))
    per_place = _per_place()
    rows = []
    for place in places:
        if len(place.path.strip("/").split("/")) > depth:
            continue
        below = [p.id for p in places if p.path.startswith(place.path)]
        rows.append((place, {column: sum(per_place[column][i] for i in below) for column in COLUMNS}))
    return rows
