"""standing councils (月月有协商, 三方联席会), grid councils, party identity (党员亮身份), the 1+5+N roster, partners (社区合伙人) and conventions (居民公约)

Revision ID: 0024_councils
Revises: 0023_grids
Create Date: 2026-12-02 10:52:48.760392

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_councils'
down_revision = '0023_grids'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('council_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('home', 'circle', 'platform', 'three_party', name='meetingkind', native_enum=False, length=20), nullable=False),
    sa.Column('cadence_months', sa.Integer(), nullable=False),
    sa.Column('day_of_month', sa.Integer(), nullable=False),
    sa.Column('local_time', sa.String(length=5), nullable=False),
    sa.Column('form', sa.Enum('online', 'in_person', 'hybrid', name='meetingform', native_enum=False, length=20), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('organisation_ids', sa.JSON(), nullable=False),
    sa.Column('invite_residents', sa.Boolean(), nullable=False),
    sa.Column('convener_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('scheduled_through', sa.DateTime(), nullable=True),
    sa.CheckConstraint('cadence_months BETWEEN 1 AND 12', name=op.f('ck_council_series_cadence_range')),
    sa.CheckConstraint('day_of_month BETWEEN 1 AND 28', name=op.f('ck_council_series_day_range')),
    sa.ForeignKeyConstraint(['convener_id'], ['users.id'], name=op.f('fk_council_series_convener_id_users')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_council_series_grid_id_grids')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_council_series_place_id_places')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_series'))
    )
    with op.batch_alter_table('council_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_council_series_place_id'), ['place_id'], unique=False)

    op.create_table('partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('offer', sa.Text(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_partners_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_partners_place_id_places')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_partners_registered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners')),
    sa.UniqueConstraint('place_id', 'organisation_id', name='uq_partners_place_organisation')
    )
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partners_place_id'), ['place_id'], unique=False)

    op.create_table('standing_responders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_standing_responders_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_standing_responders_place_id_places')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standing_responders')),
    sa.UniqueConstraint('place_id', 'organisation_id', name='uq_standing_responders_place_org')
    )
    with op.batch_alter_table('standing_responders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standing_responders_place_id'), ['place_id'], unique=False)

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grid_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_meetings_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_meetings_grid_id_grids'), 'grids', ['grid_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_meetings_series_id_council_series'), 'council_series', ['series_id'], ['id'])

    with op.batch_alter_table('organisation_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_identity', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('conventions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('residents', 'management', 'procedure', name='conventionkind', native_enum=False, length=20), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_conventions_created_by_id_users')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_conventions_place_id_places')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conventions')),
    sa.UniqueConstraint('place_id', 'title', name='uq_conventions_place_title')
    )
    with op.batch_alter_table('conventions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conventions_place_id'), ['place_id'], unique=False)

    op.create_table('convention_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('convention_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'voting', 'adopted', 'rejected', 'superseded', name='versionstate', native_enum=False, length=20), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('adopted_at', sa.DateTime(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_convention_versions_ballot_id_ballots')),
    sa.ForeignKeyConstraint(['convention_id'], ['conventions.id'], name=op.f('fk_convention_versions_convention_id_conventions')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_convention_versions_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_convention_versions')),
    sa.UniqueConstraint('convention_id', 'number', name='uq_convention_versions_number')
    )
    with op.batch_alter_table('convention_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_convention_versions_ballot_id'), ['ballot_id'], unique=False)


def downgrade():
    with op.batch_alter_table('convention_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_convention_versions_ballot_id'))

    op.drop_table('convention_versions')
    with op.batch_alter_table('conventions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conventions_place_id'))

    op.drop_table('conventions')

    with op.batch_alter_table('organisation_members', schema=None) as batch_op:
        batch_op.drop_column('public_identity')

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_meetings_series_id_council_series'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_meetings_grid_id_grids'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_meetings_series_id'))
        batch_op.drop_index(batch_op.f('ix_meetings_grid_id'))
        batch_op.drop_column('series_id')
        batch_op.drop_column('grid_id')

    with op.batch_alter_table('standing_responders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standing_responders_place_id'))

    op.drop_table('standing_responders')
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partners_place_id'))

    op.drop_table('partners')
    with op.batch_alter_table('council_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_council_series_place_id'))

    op.drop_table('council_series')
