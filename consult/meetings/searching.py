"""What was said in the room, in the archive's search: read by those who could enter."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import object_session

from ..search.access import Scope, within
from ..search.index import Document, register
from ..search.models import SearchDocument
from .models import Invitee, Meeting, Statement


def statement_document(statement: Statement) -> Document:
    meeting = object_session(statement).get(Meeting, statement.meeting_id)
    return Document(title="", body=statement.body, place_id=meeting.place_id, at=statement.at,
                    visible=statement.hidden_reason is None, parent_id=meeting.id, caption=meeting.title)


def statement_audience(scope: Scope):
    """As ``permissions.can_enter_meeting``: the invitees, the recorder and those who run the
    meeting read what was said in the room."""
    return or_(within(scope.moderating),
               SearchDocument.parent_id.in_(select(Invitee.meeting_id).where(Invitee.user_id == scope.user_id)),
               SearchDocument.parent_id.in_(select(Meeting.id).where(Meeting.recorder_id == scope.user_id)))


def register_kinds() -> None:
    register("statement", Statement, label=_l("Statements"), document=statement_document,
             link=lambda row: url_for("meetings.detail", meeting_id=row.parent_id),
             audience=statement_audience, fields=("body", "hidden_reason", "meeting_id", "at"))
