"""Motions in the archive's search."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from ..search.index import Document, register
from ..search.kinds import plain_text
from .models import Motion, MotionState


def motion_document(motion: Motion) -> Document:
    body = "\n".join(part for part in (plain_text(motion.body), motion.evidence or "") if part)
    return Document(title=motion.title, body=body, place_id=motion.place_id, at=motion.created_at,
                    visible=motion.state is not MotionState.withdrawn)


def register_kinds() -> None:
    register("motion", Motion, label=_l("Motions"), document=motion_document,
             link=lambda row: url_for("motions.detail", motion_id=row.doc_id),
             fields=("title", "body", "evidence", "state", "place", "place_id", "created_at"))
