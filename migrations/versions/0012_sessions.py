"""sign-ins that end on the server (the session version goes), deleted accounts, the privacy notice and consents

Revision ID: 0012_sessions
Revises: 0011_secret_box
Create Date: 2026-12-02 08:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_sessions'
down_revision = '0011_secret_box'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('device', sa.String(length=60), nullable=False),
    sa.Column('network', sa.String(length=50), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_ins_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_ins')),
    sa.UniqueConstraint('token', name=op.f('uq_sign_ins_token'))
    )
    with op.batch_alter_table('sign_ins', schema=None) as batch_op:
        batch_op.create_index('ix_sign_ins_user_id_ended_at', ['user_id', 'ended_at'], unique=False)
    op.create_table('privacy_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_privacy_notices_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_notices')),
    sa.UniqueConstraint('version', name=op.f('uq_privacy_notices_version'))
    )
    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consents_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents')),
    sa.UniqueConstraint('user_id', 'version', name='uq_consents_user_version')
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_user_id'), ['user_id'], unique=False)
    # Sessions signed before this revision name no sign-in: everyone signs in once more.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_user_id'))
    op.drop_table('consents')
    op.drop_table('privacy_notices')
    with op.batch_alter_table('sign_ins', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_ins_user_id_ended_at')
    op.drop_table('sign_ins')
