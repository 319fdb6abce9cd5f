"""The searchable kinds of the archive: proposals, meeting statements, ballots, motions.
Minutes register themselves in their own module the same way."""
from __future__ import annotations

import html
import re

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import object_session, selectinload

from ..markup import render_markdown
from ..meetings.models import Invitee, Meeting, Statement
from ..motions.models import Motion, MotionState
from ..proposals.models import Proposal, ProposalState
from ..voting.models import Ballot, BallotState, BallotVoter
from .access import Scope, above, within
from .index import Document, register
from .models import SearchDocument


_MARKDOWN = re.compile(r"[*_`#>\[\]<&\\~|]|^\s*(?:\d+[.)]|[-+])\s", re.M)
_BLOCK_END = re.compile(r"</(?:p|li|h\d|blockquote|pre)>|<br\s*/?>|<hr\s*/?>")
_TAG = re.compile(r"<[^>]+>")


def plain_text(markdown: str | None) -> str:
    """What a reader sees of Markdown, without its marks (``**停运**`` → ``停运``)."""
    text = markdown or ""
    if not _MARKDOWN.search(text):
        return text
    rendered = _BLOCK_END.sub("\n", str(render_markdown(text)))
    return html.unescape(_TAG.sub("", rendered)).strip()


# --- proposals ---------------------------------------------------------------------------------

def proposal_document(proposal: Proposal) -> Document:
    """A merged proposal is a duplicate whose co-signatures and comments live on in the
    other: not found."""
    return Document(title=proposal.title, body=plain_text(proposal.body), place_id=proposal.place_id,
                    at=proposal.created_at, tier=proposal.tier,
                    visible=proposal.state is not ProposalState.merged)


register("proposal", Proposal, label=_l("Proposals"), document=proposal_document,
         link=lambda row: url_for("proposals.detail", proposal_id=row.doc_id),
         fields=("title", "body", "state", "tier", "place", "place_id", "created_at"))


# --- meeting statements --------------------------------------------------------------------------

def statement_document(statement: Statement) -> Document:
    meeting = object_session(statement).get(Meeting, statement.meeting_id)
    return Document(title="", body=statement.body, place_id=meeting.place_id, at=statement.at,
                    visible=statement.hidden_reason is None, parent_id=meeting.id, caption=meeting.title)


def statement_audience(scope: Scope):
    """As ``meetings.service.can_enter``: the invitees, the recorder and those who run the
    meeting read what was said in the room."""
    return or_(within(scope.moderating),
               SearchDocument.parent_id.in_(select(Invitee.meeting_id).where(Invitee.user_id == scope.user_id)),
               SearchDocument.parent_id.in_(select(Meeting.id).where(Meeting.recorder_id == scope.user_id)))


register("statement", Statement, label=_l("Statements"), document=statement_document,
         link=lambda row: url_for("meetings.detail", meeting_id=row.parent_id),
         audience=statement_audience, fields=("body", "hidden_reason", "meeting_id", "at"))


# --- ballots ---------------------------------------------------------------------------------------

def ballot_document(ballot: Ballot) -> Document:
    explanations = (ballot.result or {}).get("explanation") or {}
    body = [option.label for option in ballot.options] + [str(e) for e in explanations.values() if e]
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


register("ballot", Ballot, label=_l("Votes"), document=ballot_document,
         link=lambda row: url_for("voting.detail", ballot_id=row.doc_id), audience=ballot_audience,
         fields=("question", "state", "result", "options", "place", "place_id", "created_at", "opened_at",
                 "closed_at"),
         load=(selectinload(Ballot.options),))


# --- motions ---------------------------------------------------------------------------------------

def motion_document(motion: Motion) -> Document:
    body = "\n".join(part for part in (plain_text(motion.body), motion.evidence or "") if part)
    return Document(title=motion.title, body=body, place_id=motion.place_id, at=motion.created_at,
                    visible=motion.state is not MotionState.withdrawn)


register("motion", Motion, label=_l("Motions"), document=motion_document,
         link=lambda row: url_for("motions.detail", motion_id=row.doc_id),
         fields=("title", "body", "evidence", "state", "place", "place_id", "created_at"))
