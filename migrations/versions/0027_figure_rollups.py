"""figure rollups: what each motion counts for, the counts per place, organisation, month
and day, and the durations the medians are read from; the matters per place, category,
month and day. After upgrading an installation that holds motions or proposals, run
``flask figures rebuild`` once: the rollups start empty.

Revision ID: 0027_figure_rollups
Revises: 0026_webhooks
Create Date: 2026-12-02 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_figure_rollups'
down_revision = '0026_webhooks'
branch_labels = None
depends_on = None

COUNTS = ('received', 'completed', 'resolved', 'settled', 'overdue', 'responders', 'responded_in_time', 'ratings',
          'satisfied')


def upgrade():
    op.create_table('motion_figure_facts',
    sa.Column('motion_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
    sa.Column('acknowledge_seconds', sa.Integer(), nullable=True),
    sa.Column('complete_seconds', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['motion_id'], ['motions.id'], name=op.f('fk_motion_figure_facts_motion_id_motions')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_motion_figure_facts_place_id_places')),
    sa.PrimaryKeyConstraint('motion_id', 'organisation_id', name=op.f('pk_motion_figure_facts'))
    )
    op.create_table('motion_figure_counts',
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('day', sa.Integer(), autoincrement=False, nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS + ('acknowledged', 'finished')],
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_motion_figure_counts_place_id_places')),
    sa.PrimaryKeyConstraint('place_id', 'organisation_id', 'month', 'day', name=op.f('pk_motion_figure_counts'))
    )
    op.create_table('motion_figure_durations',
    sa.Column('motion_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('organisation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('own', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['motion_id'], ['motions.id'], name=op.f('fk_motion_figure_durations_motion_id_motions')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_motion_figure_durations_place_id_places')),
    sa.PrimaryKeyConstraint('motion_id', 'place_id', 'kind', 'organisation_id', name=op.f('pk_motion_figure_durations'))
    )
    with op.batch_alter_table('motion_figure_durations', schema=None) as batch_op:
        batch_op.create_index('ix_motion_figure_durations_month', ['place_id', 'kind', 'organisation_id', 'month', 'seconds', 'day'], unique=False)
        batch_op.create_index('ix_motion_figure_durations_period', ['place_id', 'kind', 'organisation_id', 'seconds', 'day', 'own'], unique=False)

    op.create_table('proposal_figure_facts',
    sa.Column('proposal_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('proposal_id', name=op.f('pk_proposal_figure_facts'))
    )
    op.create_table('proposal_figure_counts',
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('day', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_proposal_figure_counts_place_id_places')),
    sa.PrimaryKeyConstraint('place_id', 'category_id', 'month', 'day', name=op.f('pk_proposal_figure_counts'))
    )


def downgrade():
    op.drop_table('proposal_figure_counts')
    op.drop_table('proposal_figure_facts')
    with op.batch_alter_table('motion_figure_durations', schema=None) as batch_op:
        batch_op.drop_index('ix_motion_figure_durations_period')
        batch_op.drop_index('ix_motion_figure_durations_month')
    op.drop_table('motion_figure_durations')
    op.drop_table('motion_figure_counts')
    op.drop_table('motion_figure_facts')
