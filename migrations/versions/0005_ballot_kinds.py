"""ballot kinds, options, periods, attendees and paper ballots

Revision ID: 0005_ballot_kinds
Revises: 0004_ballots
Create Date: 2026-11-23 09:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005_ballot_kinds'
down_revision = '0004_ballots'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum('yes_no', 'single', 'multiple', name='ballotkind',
                                                      native_enum=False, length=10),
                                      nullable=False, server_default='yes_no'))
        batch_op.add_column(sa.Column('max_choices', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('opens_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('closes_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.alter_column('kind', server_default=None)
        batch_op.alter_column('max_choices', server_default=None)

    op.create_table('ballot_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_ballot_options_ballot_id_ballots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_options')),
    sa.UniqueConstraint('ballot_id', 'position', name='uq_ballot_options_ballot_position')
    )
    with op.batch_alter_table('ballot_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_options_ballot_id'), ['ballot_id'], unique=False)

    # An attendee is a person like an owner: one column for both.
    with op.batch_alter_table('ballot_voters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('building_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_ballot_voters_user_id_users'), 'users', ['user_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_ballot_voters_building_id_places'), 'places',
                                    ['building_id'], ['id'])
    op.execute("UPDATE ballot_voters SET user_id = owner_id")
    with op.batch_alter_table('ballot_voters', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ballot_voters_owner_id_users', type_='foreignkey')
        batch_op.drop_column('owner_id')

    with op.batch_alter_table('ballot_participations', schema=None) as batch_op:
        batch_op.alter_column('choice', existing_type=sa.String(length=10), type_=sa.String(length=100),
                              existing_nullable=True)
        batch_op.alter_column('channel', existing_type=sa.String(length=10),
                              type_=sa.Enum('online', 'paper', name='channel', native_enum=False, length=10),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('evidence', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('witness', sa.String(length=60), nullable=True))

    with op.batch_alter_table('ballot_box', schema=None) as batch_op:
        batch_op.alter_column('choice', existing_type=sa.String(length=10), type_=sa.String(length=100),
                              existing_nullable=False)


def downgrade():
    with op.batch_alter_table('ballot_box', schema=None) as batch_op:
        batch_op.alter_column('choice', existing_type=sa.String(length=100), type_=sa.String(length=10),
                              existing_nullable=False)

    with op.batch_alter_table('ballot_participations', schema=None) as batch_op:
        batch_op.drop_column('witness')
        batch_op.drop_column('evidence')
        batch_op.alter_column('choice', existing_type=sa.String(length=100), type_=sa.String(length=10),
                              existing_nullable=True)

    with op.batch_alter_table('ballot_voters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_ballot_voters_owner_id_users', 'users', ['owner_id'], ['id'])
    op.execute("UPDATE ballot_voters SET owner_id = user_id")
    with op.batch_alter_table('ballot_voters', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ballot_voters_building_id_places'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_ballot_voters_user_id_users'), type_='foreignkey')
        batch_op.drop_column('building_id')
        batch_op.drop_column('user_id')

    with op.batch_alter_table('ballot_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_options_ballot_id'))
    op.drop_table('ballot_options')

    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_column('closes_at')
        batch_op.drop_column('opens_at')
        batch_op.drop_column('max_choices')
        batch_op.drop_column('kind')
