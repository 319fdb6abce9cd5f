"""search

Revision ID: 0009_search
Revises: 0008_figures_indexes
Create Date: 2026-11-24 09:12:41.507311

The index table, and the engine's index over its tokens: on SQLite an FTS5 table reading
them from search_documents (external content) kept in step by triggers, on PostgreSQL a
generated tsvector column with a GIN index. Records that existed before are indexed by
``flask --app consult search-reindex``.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_search'
down_revision = '0008_figures_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('doc_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.String(length=20), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('caption', sa.String(length=200), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('title_tokens', sa.Text(), nullable=False),
    sa.Column('body_tokens', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_search_documents_place_id_places')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    sa.UniqueConstraint('kind', 'doc_id', name='uq_search_documents_kind_doc')
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_documents_place_id'), ['place_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # 'simple': lowercase, no stemming, no stop words — the tokens are made in Python.
        op.execute(
            "ALTER TABLE search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple'::regconfig, title_tokens), 'A') || "
            "setweight(to_tsvector('simple'::regconfig, body_tokens), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)")
        # The newest of many matches are ranked: walking this index finds them without
        # reading every match (SQLite's FTS5 finds them faster by itself).
        op.execute("CREATE INDEX ix_search_documents_at ON search_documents (at)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(title_tokens, body_tokens, "
            "content='search_documents', content_rowid='id', tokenize='unicode61')"
        )
        # External content: FTS5 must be told the old tokens to take a row out.
        op.execute(
            "CREATE TRIGGER search_documents_fts_insert AFTER INSERT ON search_documents BEGIN "
            "INSERT INTO search_fts(rowid, title_tokens, body_tokens) "
            "VALUES (new.id, new.title_tokens, new.body_tokens); END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_fts_delete AFTER DELETE ON search_documents BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, title_tokens, body_tokens) "
            "VALUES ('delete', old.id, old.title_tokens, old.body_tokens); END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_fts_update AFTER UPDATE OF title_tokens, body_tokens "
            "ON search_documents WHEN old.title_tokens IS NOT new.title_tokens "
            "OR old.body_tokens IS NOT new.body_tokens BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, title_tokens, body_tokens) "
            "VALUES ('delete', old.id, old.title_tokens, old.body_tokens); "
            "INSERT INTO search_fts(rowid, title_tokens, body_tokens) "
            "VALUES (new.id, new.title_tokens, new.body_tokens); END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_documents_at")
        op.execute("DROP INDEX IF EXISTS ix_search_documents_tsv")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS search_documents_fts_{name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_documents_place_id'))

    op.drop_table('search_documents')
