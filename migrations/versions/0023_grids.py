"""grids that take reports: nested grids (大网格·微网格) and residents' reports (群众报单)

Revision ID: 0023_grids
Revises: 0025_api
Create Date: 2026-12-02 10:42:23.488647

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_grids'
down_revision = '0025_api'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grid_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('raised', 'accepted', 'settled', 'dispatched', name='reportstate', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('accept_by', sa.DateTime(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(), nullable=True),
    sa.Column('settled_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('motion_id', sa.Integer(), nullable=True),
    sa.Column('accept_seconds', sa.Integer(), nullable=True),
    sa.Column('settle_seconds', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_grid_reports_accepted_by_id_users')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_grid_reports_author_id_users')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_grid_reports_grid_id_grids')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_grid_reports_household_id_households')),
    sa.ForeignKeyConstraint(['motion_id'], ['motions.id'], name=op.f('fk_grid_reports_motion_id_motions')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_grid_reports_place_id_places')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_reports'))
    )
    with op.batch_alter_table('grid_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grid_reports_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grid_reports_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_grid_reports_due', ['state', 'escalated_at', 'accept_by'], unique=False)
        batch_op.create_index('ix_grid_reports_grid_state', ['grid_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_grid_reports_place_id'), ['place_id'], unique=False)

    with op.batch_alter_table('grids', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_grids_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_grids_parent_id_grids'), 'grids', ['parent_id'], ['id'])



def downgrade():
    with op.batch_alter_table('grids', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_grids_parent_id_grids'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_grids_parent_id'))
        batch_op.drop_column('parent_id')

    with op.batch_alter_table('grid_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grid_reports_place_id'))
        batch_op.drop_index('ix_grid_reports_grid_state')
        batch_op.drop_index('ix_grid_reports_due')
        batch_op.drop_index(batch_op.f('ix_grid_reports_created_at'))
        batch_op.drop_index(batch_op.f('ix_grid_reports_author_id'))

    op.drop_table('grid_reports')
