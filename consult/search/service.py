"""Searching the archive of a place and the places below it.

A query is folded and cut into runs like the indexed text (``tokens``); each run is a
phrase of its tokens (充电桩 → "充电 电桩"), all runs must match. SQLite asks FTS5 and ranks
by bm25, PostgreSQL asks the GIN index and ranks by ts_rank_cd; everything else — the
place subtree, the filters, who may read what, the order and the pages — is the same SQL
on both."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Optional

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import and_, bindparam, column, func, literal_column, or_, select, table, text

from .. import permissions
from ..clock import end_of_local_day, start_of_local_day
from ..errors import InvalidInput
from ..extensions import db
from ..places.models import Place
from ..proposals.models import Tier
from . import snippets
from .access import readable, scope_of, within
from .index import Kind, get_kind, kinds as registered_kinds
from .models import FTS_TABLE, TSVECTOR_COLUMN, SearchDocument
from .tokens import Run, runs

QUERY_MAX = 100     # characters
RUNS_MAX = 10       # words searched for at once
# When more records match, the newest this many are ranked and paged: ranking every one
# of 30,000 records that mention 电梯 costs more than a page may take, and the newest
# matter most in a council's archive.
CANDIDATES = 1000
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)
# A word in the title counts for more than one in the body: FTS5 bm25 column weights; on
# PostgreSQL the title is weighted A (1.0) and the body B (0.4) by ts_rank_cd's defaults.
TITLE_WEIGHT, BODY_WEIGHT = 2.5, 1.0


@dataclass
class Hit:
    kind: Kind
    doc_id: int
    row: SearchDocument
    title: Markup
    snippet: Markup
    caption: str
    at: datetime
    place_name: str
    tier: Optional[Tier]
    score: float

    @property
    def url(self) -> str:
        """The record's page (built in a request)."""
        return self.kind.link(self.row)


@dataclass
class Results:
    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    searched: bool = False   # False: nothing to search for was given
    more: bool = False       # more than CANDIDATES matched: the newest of them are shown


def parse(query: Optional[str]) -> list[Run]:
    """The runs to look for, each once, in the order typed."""
    query = (query or "").strip()
    if len(query) > QUERY_MAX:
        raise InvalidInput(_l("Search for at most %(n)d characters at a time.", n=QUERY_MAX))
    found = list(dict.fromkeys(runs(query)))
    if len(found) > RUNS_MAX:
        raise InvalidInput(_l("Search for at most %(n)d words at a time.", n=RUNS_MAX))
    return found


def fts5_query(found: list[Run]) -> str:
    """FTS5: each run a quoted phrase of its tokens; a lone CJK character is the start of
    a token (电 finds 电梯 and 电动车)."""
    return " AND ".join(f'"{run.text}"*' if run.cjk and len(run.text) == 1 else f'"{" ".join(run.tokens)}"'
                        for run in found)


def tsquery(found: list[Run]) -> str:
    """PostgreSQL: each run a phrase of its tokens (<->), all of them (&)."""
    return " & ".join(f"'{run.text}':*" if run.cjk and len(run.text) == 1
                      else "(" + " <-> ".join(f"'{token}'" for token in run.tokens) + ")" for run in found)


def check_dates(start: Optional[date], end: Optional[date]) -> None:
    for day in (start, end):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise InvalidInput(_l("Give dates between %(first)s and %(last)s.", first=FIRST_DAY.isoformat(),
                                  last=LAST_DAY.isoformat()))
    if start is not None and end is not None and start > end:
        raise InvalidInput(_l("The first day comes after the last day."))


def _chosen_kinds(names: Iterable[str]) -> list[Kind]:
    chosen = []
    for name in names:
        kind = get_kind(name)
        if kind is None:
            raise InvalidInput(_l("There is no such kind of record to search."))
        chosen.append(kind)
    return chosen or registered_kinds()


def _conditions(place: Place, viewer, chosen: list[Kind], tier: Optional[Tier], start: Optional[date],
                end: Optional[date]) -> list:
    conditions = [within([place.path])]
    if len(chosen) < len(registered_kinds()):
        conditions.append(SearchDocument.kind.in_([k.name for k in chosen]))
    if tier is not None:
        conditions.append(SearchDocument.tier == tier.value)
    if start is not None:
        conditions.append(SearchDocument.at >= start_of_local_day(start))
    if end is not None:
        conditions.append(SearchDocument.at < end_of_local_day(end))
    scope = scope_of(viewer)
    # A kind without an audience of its own is read by those who read its place; of
    # proposals, a platform-tier matter is published to the whole subdistrict.
    in_readable_place = or_(readable(scope), and_(SearchDocument.kind == "proposal",
                                                  SearchDocument.tier == Tier.platform.value))
    audiences = [and_(SearchDocument.kind == k.name, in_readable_place if k.audience is None else k.audience(scope))
                 for k in chosen]
    conditions.append(or_(*audiences))
    return conditions


def _engine(found: list[Run]):
    """The FROM, the match condition, the score (higher is better) and the vector column
    (PostgreSQL) of this engine."""
    if db.engine.dialect.name == "postgresql":
        vector = literal_column(f"{SearchDocument.__tablename__}.{TSVECTOR_COLUMN}")
        query = func.to_tsquery(literal_column("'simple'::regconfig"), bindparam("q", tsquery(found)))
        return SearchDocument.__table__, vector.op("@@")(query), func.ts_rank_cd(vector, query), (vector, query)
    fts = table(FTS_TABLE, column("rowid"))
    source = fts.join(SearchDocument.__table__, SearchDocument.id == fts.c.rowid)
    match = literal_column(FTS_TABLE).op("MATCH")(bindparam("q", fts5_query(found)))
    return source, match, -func.bm25(literal_column(FTS_TABLE), TITLE_WEIGHT, BODY_WEIGHT), None


def search(place: Place, query: Optional[str], *, viewer, kinds: Iterable[str] = (), tier: Optional[Tier | str] = None,
           start: Optional[date] = None, end: Optional[date] = None, page: int = 1,
           per_page: Optional[int] = None) -> Results:
    """What ``viewer`` may read in ``place`` and below that matches ``query``, best first,
    one page of it. ``kinds`` are registered kind names (none: all); ``start`` and ``end``
    are days in the installation's time zone, both included. When more than
    ``CANDIDATES`` match, the newest of them are ranked (``Results.more``)."""
    permissions.require(permissions.can_view_place(viewer, place))
    found = parse(query)
    check_dates(start, end)
    if isinstance(tier, str):
        try:
            tier = Tier(tier)
        except ValueError:
            raise InvalidInput(_l("There is no such tier.")) from None
    chosen = _chosen_kinds(kinds)
    results = Results(query=(query or "").strip())
    if not found:
        return results
    results.searched = True
    per_page = per_page or current_app.config["PAGE_SIZE"]
    source, match, score, vector = _engine(found)
    if vector is not None:
        # The driver prepares a statement run often; PostgreSQL then plans it once for any
        # words, and a plan fit for a rare word reads the whole table for a common one.
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    conditions = [match] + _conditions(place, viewer, chosen, tier, start, end)
    matching = select(SearchDocument.id).select_from(source).where(*conditions)
    counted = db.session.scalar(select(func.count()).select_from(matching.limit(CANDIDATES + 1).subquery()))
    results.more = counted > CANDIDATES
    results.total = min(counted, CANDIDATES)
    results.pages = max(math.ceil(results.total / per_page), 1)
    results.page = min(max(page, 1), results.pages)
    if not results.total:
        return results
    newest = (SearchDocument.at.desc(), SearchDocument.id.desc())
    offset = (results.page - 1) * per_page
    if not results.more:
        scored = score.label("score")
        ranked = select(SearchDocument.id, scored).select_from(source).where(*conditions) \
            .order_by(scored.desc(), *newest)
    elif vector is None:
        # FTS5 ranks in the query that matches: that query keeps the newest candidates.
        scored = score.label("score")
        ranked = select(SearchDocument.id, scored).select_from(source) \
            .where(match, SearchDocument.id.in_(matching.order_by(*newest).limit(CANDIDATES))) \
            .order_by(scored.desc(), *newest)
    else:
        column_, query_ = vector
        candidates = select(SearchDocument.id, SearchDocument.at, column_.label("vector")).select_from(source) \
            .where(*conditions).order_by(*newest).limit(CANDIDATES).subquery()
        scored = func.ts_rank_cd(candidates.c.vector, query_).label("score")
        ranked = select(candidates.c.id, scored).order_by(scored.desc(), candidates.c.at.desc(), candidates.c.id.desc())
    rows = db.session.execute(ranked.offset(offset).limit(per_page)).all()
    results.hits = _hits(rows, found)
    return results


def _tier(value: Optional[str]) -> Optional[Tier]:
    try:
        return Tier(value) if value else None
    except ValueError:   # a kind that files something else under "tier"
        return None


def _hits(ranked, found: list[Run]) -> list[Hit]:
    rows = {row.id: row for row in db.session.scalars(
        select(SearchDocument).where(SearchDocument.id.in_([r.id for r in ranked])))}
    names = dict(db.session.execute(select(Place.id, Place.name).where(
        Place.id.in_({row.place_id for row in rows.values()}))).all())
    pattern = snippets.pattern(found)
    hits = []
    for doc_id, score in ranked:
        row = rows[doc_id]
        kind = get_kind(row.kind)
        if kind is None:   # a kind no longer registered
            continue
        hits.append(Hit(kind=kind, doc_id=row.doc_id, row=row,
                        title=snippets.highlight(row.title, pattern),
                        snippet=snippets.snippet(row.body, pattern), caption=row.caption, at=row.at,
                        place_name=names.get(row.place_id, ""), tier=_tier(row.tier),
                        score=float(score or 0)))
    return hits


def scope_for(user) -> Optional[Place]:
    """Where the search box in every page's header searches for ``user``: the widest of the
    places they read as of right — the places of their roles, their own community — so a
    resident searches their community, a subdistrict's staff their subdistrict."""
    places = [g.place for g in user.grants if g.place is not None]
    places += [g.grid.community for g in user.grants if g.grid is not None]
    places += permissions.home_communities(user)
    if not places and permissions.is_global_administrator(user):
        places = list(db.session.scalars(select(Place).where(Place.parent_id.is_(None)).order_by(Place.id)))
    readable = [p for p in places if permissions.can_view_place(user, p)]
    return min(readable, key=lambda p: (len(p.ancestor_ids), p.id)) if readable else None
