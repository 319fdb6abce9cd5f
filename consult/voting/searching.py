"""Ballots in the archive's search: read as their pages are."""
from __future__ import annotations

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from ..search.access import Scope, above, within
from ..search.index import Document, register
from ..search.models import SearchDocument
from .models import Ballot, BallotState, BallotVoter


def _explanations(ballot: Ballot) -> list[str]:
    """The result's explanation in every language, so that either finds it."""
    if not ballot.result:
        return []
    out = []
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            out.append(ballot.explanation())
    return [text for text in out if text]


def ballot_document(ballot: Ballot) -> Document:
    body = [option.label for option in ballot.options] + _explanations(ballot)
    return Document(title=ballot.question, body="\n".join(body), place_id=ballot.place_id,
                    at=ballot.closed_at or ballot.opened_at or ballot.created_at)


def ballot_audience(scope: Scope):
    """As ``permissions.can_view_ballot``: those who run it, even a draft; once open, those
    who live in its place, serve it, enter paper ballots for it or are in its electorate."""
    opened = SearchDocument.doc_id.in_(select(Ballot.id).where(Ballot.state != BallotState.draft))
    voter = SearchDocument.doc_id.in_(select(BallotVoter.ballot_id).where(BallotVoter.user_id == scope.user_id))
    return or_(within(scope.moderating),
               and_(opened, or_(above(scope.homes), within(scope.staff), within(scope.helping),
                                above(scope.helping), voter)))


def register_kinds() -> None:
    register("ballot", Ballot, label=_l("Votes"), document=ballot_document,
             link=lambda row: url_for("voting.detail", ballot_id=row.doc_id), audience=ballot_audience,
             fields=("question", "state", "result", "options", "place", "place_id", "created_at", "opened_at",
                     "closed_at"),
             load=(selectinload(Ballot.options),))
