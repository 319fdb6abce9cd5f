"""The counts of matters raised per place, category, local month and day, kept up to date
as proposals are written, for the figures per category and year on year (``figures``).

Whatever writes a proposal through the session is followed: after each flush, what each
proposal written counts for now (its place, category and day, unless it was merged into
another matter) replaces what it counted for before (``ProposalFact``), as -1 and +1 on the
counts of every place at or above it, for its month (``day`` 0) and its day. Proposals
loaded past the session (in bulk) are counted by ``rebuild`` (``flask figures rebuild``)."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import delete, event, func, insert, literal, select
from sqlalchemy.orm import Session, aliased

from ..periods import local_day
from ..extensions import db
from ..places.models import Place
from .models import Proposal, ProposalCount, ProposalFact, ProposalState

LEFT_OUT = (ProposalState.merged,)   # a duplicate counts once, in the matter it was merged into
FOLLOWED = ("state", "category_id", "category", "place_id", "place", "created_at")



@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    from sqlalchemy import inspect

    written = [p for p in session.new if isinstance(p, Proposal)]
    written += [p for p in session.dirty if isinstance(p, Proposal)
                and any(inspect(p).attrs[name].history.has_changes() for name in FOLLOWED)]
    gone = [p.id for p in session.deleted if isinstance(p, Proposal)]
    if written or gone:
        _follow(session.connection(), {p.id: p for p in written}, gone)


def _follow(connection, written: dict[int, Proposal], gone: list[int]) -> None:
    ids = sorted(set(written) | set(gone))
    facts = ProposalFact.__table__
    before = {row.proposal_id: row for row in connection.execute(
        select(facts).where(facts.c.proposal_id.in_(ids)).with_for_update())}
    after = {i: (p.place_id, p.category_id, local_day(p.created_at)) for i, p in written.items()
             if p.state not in LEFT_OUT}
    deltas: dict[tuple[int, int], int] = defaultdict(int)   # (place, category, day) -> change
    for i in ids:
        old = before.get(i)
        old = (old.place_id, old.category_id, old.day) if old is not None else None
        new = after.get(i)
        if old == new:
            continue
        if old is not None:
            deltas[old] -= 1
            connection.execute(delete(facts).where(facts.c.proposal_id == i))
        if new is not None:
            deltas[new] += 1
            connection.execute(insert(facts).values(proposal_id=i, place_id=new[0], category_id=new[1], day=new[2]))
    changes = [(key, n) for key, n in deltas.items() if n]
    if not changes:
        return
    paths = dict(connection.execute(select(Place.id, Place.path).where(
        Place.id.in_({place_id for (place_id, _c, _d), _n in changes}))).all())
    rows: dict[tuple[int, int, int, int], int] = defaultdict(int)
    for (place_id, category_id, day), n in changes:
        for above in (int(p) for p in paths[place_id].strip("/").split("/") if p):
            rows[(above, category_id, day // 100, 0)] += n
            rows[(above, category_id, day // 100, day)] += n
    _add(connection, rows)


def _add(connection, rows: dict) -> None:
    """Add to the counts in the order of their keys (two transactions never wait on each
    other in a cycle)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    table = ProposalCount.__table__
    statement = upsert(table)
    statement = statement.on_conflict_do_update(index_elements=["place_id", "category_id", "month", "day"],
                                                set_={"count": table.c.count + statement.excluded.count})
    for (place_id, category_id, month, day), n in sorted(rows.items()):
        if n:
            connection.execute(statement.values(place_id=place_id, category_id=category_id, month=month, day=day,
                                                count=n))


def rebuild() -> int:
    """Every count written again from the proposals, in the caller's transaction; returns
    the number of matters counted."""
    session = db.session()
    session.execute(delete(ProposalCount))
    session.execute(delete(ProposalFact))
    rows = [{"proposal_id": i, "place_id": place_id, "category_id": category_id, "day": local_day(created_at)}
            for i, place_id, category_id, created_at in session.execute(
                select(Proposal.id, Proposal.place_id, Proposal.category_id, Proposal.created_at)
                .where(Proposal.state.not_in(LEFT_OUT)))]
    for start in range(0, len(rows), 5000):
        session.execute(insert(ProposalFact), rows[start:start + 5000])
    top = aliased(Place)
    above = select(Place.id.label("place_id"), top.id.label("above_id")) \
        .join(top, Place.path.startswith(top.path)).subquery("above")
    fact = ProposalFact.__table__.c
    month = fact.day // 100
    for day, group in ((literal(0), (month,)), (fact.day, (fact.day,))):
        session.execute(insert(ProposalCount).from_select(
            ["place_id", "category_id", "month", "day", "count"],
            select(above.c.above_id, fact.category_id, month, day, func.count())
            .join(above, above.c.place_id == fact.place_id)
            .group_by(above.c.above_id, fact.category_id, *group)))
    return len(rows)
