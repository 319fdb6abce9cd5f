"""Minutes in the archive's search: the signed version residents read, from the moment it
is published. A draft is not found."""
from __future__ import annotations

from typing import Optional

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..search.index import Document, register
from ..search.kinds import plain_text
from .models import Minutes


def minutes_document(minutes: Minutes) -> Optional[Document]:
    current = minutes.current
    if current is None:
        return Document(title="", body="", place_id=minutes.place_id, at=minutes.created_at, visible=False)
    return Document(title=current.title, body=plain_text(current.body), place_id=minutes.place_id,
                    at=minutes.published_at or current.signed_at, parent_id=minutes.meeting_id)


def register_kinds() -> None:
    register("minutes", Minutes, label=_l("Minutes"), document=minutes_document,
             link=lambda row: url_for("minutes.detail", minutes_id=row.doc_id),
             fields=("state", "published_at", "archived_at"), load=(selectinload(Minutes.versions),))
