"""turnout: door visits for a ballot, building reminders, assisted-vote codes

Revision ID: 0021_turnout
Revises: 0020_wechat
Create Date: 2026-12-02 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_turnout'
down_revision = '0020_wechat'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_ballot_voters_ballot_building', 'ballot_voters', ['ballot_id', 'building_id'], unique=False)
    op.create_table('turnout_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('visited', 'not_home', 'refused', 'voted_paper', 'proxy_given',
                                 name='dooroutcome', native_enum=False, length=20), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_turnout_visits_ballot_id_ballots')),
    sa.ForeignKeyConstraint(['voter_id'], ['ballot_voters.id'], name=op.f('fk_turnout_visits_voter_id_ballot_voters')),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_turnout_visits_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_turnout_visits'))
    )
    op.create_index('ix_turnout_visits_ballot_voter', 'turnout_visits', ['ballot_id', 'voter_id'], unique=False)
    op.create_table('turnout_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_turnout_reminders_ballot_id_ballots')),
    sa.ForeignKeyConstraint(['building_id'], ['places.id'], name=op.f('fk_turnout_reminders_building_id_places')),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_turnout_reminders_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_turnout_reminders')),
    sa.UniqueConstraint('ballot_id', 'building_id', 'day', name='uq_turnout_reminders_ballot_building_day')
    )
    op.create_table('turnout_assist_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('helper_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_turnout_assist_codes_ballot_id_ballots')),
    sa.ForeignKeyConstraint(['voter_id'], ['ballot_voters.id'],
                            name=op.f('fk_turnout_assist_codes_voter_id_ballot_voters')),
    sa.ForeignKeyConstraint(['helper_id'], ['users.id'], name=op.f('fk_turnout_assist_codes_helper_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_turnout_assist_codes'))
    )
    op.create_index('ix_turnout_assist_codes_ballot_voter', 'turnout_assist_codes', ['ballot_id', 'voter_id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_ballot_voters_ballot_building', table_name='ballot_voters')
    op.drop_index('ix_turnout_assist_codes_ballot_voter', table_name='turnout_assist_codes')
    op.drop_table('turnout_assist_codes')
    op.drop_table('turnout_reminders')
    op.drop_index('ix_turnout_visits_ballot_voter', table_name='turnout_visits')
    op.drop_table('turnout_visits')
