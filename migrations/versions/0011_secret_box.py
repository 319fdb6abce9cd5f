"""secret box: keyed by ballot and receipt, without row ids, rows rewritten in receipt order

Revision ID: 0011_secret_box
Revises: 0010_minutes
Create Date: 2026-12-02 08:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_secret_box'
down_revision = '0010_minutes'
branch_labels = None
depends_on = None

COLUMNS = "ballot_id, receipt, choice, area"


def _set_aside():
    """Rename the box out of the way; on PostgreSQL its primary key's index too, whose
    name the new table's takes."""
    op.rename_table('ballot_box', 'ballot_box_old')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE ballot_box_old RENAME CONSTRAINT pk_ballot_box TO pk_ballot_box_old')


def _columns():
    return [sa.Column('ballot_id', sa.Integer(), nullable=False),
            sa.Column('receipt', sa.String(length=32), nullable=False),
            sa.Column('choice', sa.String(length=100), nullable=False),
            sa.Column('area', sa.Numeric(precision=12, scale=2), nullable=False),
            sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_ballot_box_ballot_id_ballots'))]


def upgrade():
    # A new table filled in key order: the rows already written, of open and closed
    # ballots alike, lose the order in which they were cast.
    with op.batch_alter_table('ballot_box', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_box_ballot_id'))
    _set_aside()
    op.create_table('ballot_box', *_columns(),
                    sa.PrimaryKeyConstraint('ballot_id', 'receipt', name=op.f('pk_ballot_box')),
                    sqlite_with_rowid=False)
    op.execute(f'INSERT INTO ballot_box ({COLUMNS}) SELECT {COLUMNS} FROM ballot_box_old ORDER BY ballot_id, receipt')
    op.drop_table('ballot_box_old')


def downgrade():
    _set_aside()
    op.create_table('ballot_box', *_columns(),
                    sa.PrimaryKeyConstraint('receipt', name=op.f('pk_ballot_box')))
    op.execute(f'INSERT INTO ballot_box ({COLUMNS}) SELECT {COLUMNS} FROM ballot_box_old ORDER BY receipt')
    op.drop_table('ballot_box_old')
    with op.batch_alter_table('ballot_box', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_box_ballot_id'), ['ballot_id'], unique=False)
