"""owners' ballots: vote changes, the non-voters rule, one extension, staged results and objections

Revision ID: 0019_results
Revises: 0018_owners
Create Date: 2026-12-02 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_results'
down_revision = '0018_owners'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes', sa.String(length=10), nullable=False, server_default='never'))
        batch_op.add_column(sa.Column('non_voters', sa.String(length=20), nullable=False,
                                      server_default='not_counted'))
        batch_op.add_column(sa.Column('non_voters_reference', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('extended_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('first_closes_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('extension_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('stage', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('objections_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('final_result', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('finalized_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('ballot_participations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(), nullable=True))
    op.create_table('ballot_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('raised_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('answer', sa.String(length=500), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('correction', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_ballot_objections_ballot_id_ballots')),
    sa.ForeignKeyConstraint(['voter_id'], ['ballot_voters.id'],
                            name=op.f('fk_ballot_objections_voter_id_ballot_voters')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'], name=op.f('fk_ballot_objections_raised_by_id_users')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'],
                            name=op.f('fk_ballot_objections_answered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_objections'))
    )
    with op.batch_alter_table('ballot_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_objections_ballot_id'), ['ballot_id'], unique=False)
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index('ix_ballots_stage_objections_until', ['stage', 'objections_until'], unique=False)


def downgrade():
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_index('ix_ballots_stage_objections_until')
    with op.batch_alter_table('ballot_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_objections_ballot_id'))
    op.drop_table('ballot_objections')
    with op.batch_alter_table('ballot_participations', schema=None) as batch_op:
        batch_op.drop_column('changed_at')
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        for column in ('finalized_at', 'final_result', 'objections_until', 'stage', 'extension_reason',
                       'first_closes_at', 'extended_at', 'non_voters_reference', 'non_voters', 'changes'):
            batch_op.drop_column(column)
