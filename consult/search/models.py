"""The search index: one row per searchable record, kept in the record's transaction.

The row holds the text as shown (for snippets) and as tokens (for the engines). The
engine's own index over the tokens depends on the database and is created by migration
0009 only, outside the models:

* SQLite: the FTS5 table ``search_fts`` (external content: it reads the tokens from this
  table), kept in step by triggers on this table;
* PostgreSQL: the generated column ``search_documents.tsv`` (title tokens weighted A,
  body tokens B) with a GIN index, and an index on ``at``.

Both are left out of the comparison of models and migrations (see ``schema``).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

FTS_TABLE = "search_fts"
TSVECTOR_COLUMN = "tsv"
TSVECTOR_INDEX = "ix_search_documents_tsv"
DATE_INDEX = "ix_search_documents_at"   # PostgreSQL only


class SearchDocument(db.Model):
    __tablename__ = "search_documents"
    __table_args__ = (UniqueConstraint("kind", "doc_id", name="uq_search_documents_kind_doc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    doc_id: Mapped[int]
    # The record the document belongs to, for its link (a statement's meeting).
    parent_id: Mapped[Optional[int]]
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    tier: Mapped[Optional[str]] = mapped_column(String(20))
    at: Mapped[datetime]
    # Shown above the snippet and not searched (a statement's meeting).
    caption: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    title_tokens: Mapped[str] = mapped_column(Text, default="")
    body_tokens: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<SearchDocument {self.kind} {self.doc_id}>"
