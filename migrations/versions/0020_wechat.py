"""the WeChat official account linked to a person (openid), the daily digest they may choose, and the messages a digest carries

Revision ID: 0020_wechat
Revises: 0019_results
Create Date: 2026-12-02 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_wechat'
down_revision = '0019_results'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('delivery_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wechat_openid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('wechat_linked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('digest', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_unique_constraint(batch_op.f('uq_delivery_settings_wechat_openid'), ['wechat_openid'])
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bundle', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('bundle')
    with op.batch_alter_table('delivery_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_delivery_settings_wechat_openid'), type_='unique')
        batch_op.drop_column('digest')
        batch_op.drop_column('wechat_linked_at')
        batch_op.drop_column('wechat_openid')
