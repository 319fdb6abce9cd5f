"""owners' decisions: the register checked in public and its objections, the notice with its recipients and postings, property certificates, proxies; "none of these" options; certificate numbers of units

Revision ID: 0018_owners
Revises: 0016_outbox
Create Date: 2026-12-02 10:44:38

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_owners'
down_revision = '0016_outbox'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('owner_certificate_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('matches', sa.Boolean(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'approved', 'rejected', name='claimstate', native_enum=False, length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_owner_certificate_claims_household_id_households')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_owner_certificate_claims_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_owner_certificate_claims_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_certificate_claims'))
    )
    with op.batch_alter_table('owner_certificate_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_certificate_claims_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_certificate_claims_user_id'), ['user_id'], unique=False)

    op.create_table('owner_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('matter', sa.Text(), nullable=False),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_owner_notices_ballot_id_ballots')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_owner_notices_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_notices')),
    sa.UniqueConstraint('ballot_id', name=op.f('uq_owner_notices_ballot_id'))
    )
    op.create_table('owner_proxies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('proxy_id', sa.Integer(), nullable=True),
    sa.Column('proxy_phone', sa.String(length=20), nullable=True),
    sa.Column('ballot_id', sa.Integer(), nullable=True),
    sa.Column('valid_from', sa.DateTime(), nullable=True),
    sa.Column('valid_until', sa.DateTime(), nullable=True),
    sa.Column('method', sa.Enum('online', 'signed', name='proxymethod', native_enum=False, length=10), nullable=False),
    sa.Column('photo', sa.String(length=32), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_owner_proxies_ballot_id_ballots')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_owner_proxies_owner_id_users')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_owner_proxies_place_id_places')),
    sa.ForeignKeyConstraint(['proxy_id'], ['users.id'], name=op.f('fk_owner_proxies_proxy_id_users')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_owner_proxies_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_owner_proxies_revoked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_proxies'))
    )
    with op.batch_alter_table('owner_proxies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_proxies_ballot_id'), ['ballot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_proxies_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_proxies_place_id'), ['place_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_proxies_proxy_id'), ['proxy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_proxies_proxy_phone'), ['proxy_phone'], unique=False)

    op.create_table('owner_registers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('headcount_rule', sa.String(length=40), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=False),
    sa.Column('check_until', sa.DateTime(), nullable=False),
    sa.Column('frozen_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_owner_registers_ballot_id_ballots')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_owner_registers_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_registers')),
    sa.UniqueConstraint('ballot_id', name=op.f('uq_owner_registers_ballot_id'))
    )
    op.create_table('owner_notice_postings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('spot', sa.String(length=120), nullable=False),
    sa.Column('posted_at', sa.DateTime(), nullable=False),
    sa.Column('posted_by_id', sa.Integer(), nullable=False),
    sa.Column('photo', sa.String(length=32), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['owner_notices.id'], name=op.f('fk_owner_notice_postings_notice_id_owner_notices')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_owner_notice_postings_place_id_places')),
    sa.ForeignKeyConstraint(['posted_by_id'], ['users.id'], name=op.f('fk_owner_notice_postings_posted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_notice_postings'))
    )
    with op.batch_alter_table('owner_notice_postings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_notice_postings_notice_id'), ['notice_id'], unique=False)

    op.create_table('owner_notice_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['notice_id'], ['owner_notices.id'], name=op.f('fk_owner_notice_recipients_notice_id_owner_notices')),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_owner_notice_recipients_notification_id_notifications'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_owner_notice_recipients_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_notice_recipients')),
    sa.UniqueConstraint('notice_id', 'user_id', name='uq_owner_notice_recipients_owner')
    )
    with op.batch_alter_table('owner_notice_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_notice_recipients_notice_id'), ['notice_id'], unique=False)

    op.create_table('owner_proxy_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proxy_id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_owner_proxy_votes_ballot_id_ballots')),
    sa.ForeignKeyConstraint(['proxy_id'], ['owner_proxies.id'], name=op.f('fk_owner_proxy_votes_proxy_id_owner_proxies')),
    sa.ForeignKeyConstraint(['voter_id'], ['ballot_voters.id'], name=op.f('fk_owner_proxy_votes_voter_id_ballot_voters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_proxy_votes')),
    sa.UniqueConstraint('ballot_id', 'voter_id', name='uq_owner_proxy_votes_ballot_voter')
    )
    with op.batch_alter_table('owner_proxy_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_proxy_votes_proxy_id'), ['proxy_id'], unique=False)

    op.create_table('owner_register_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('area', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('bound', sa.Boolean(), nullable=False),
    sa.Column('corrected_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_owner_register_entries_household_id_households')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_owner_register_entries_owner_id_users')),
    sa.ForeignKeyConstraint(['register_id'], ['owner_registers.id'], name=op.f('fk_owner_register_entries_register_id_owner_registers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_register_entries')),
    sa.UniqueConstraint('register_id', 'household_id', name='uq_owner_register_entries_unit')
    )
    with op.batch_alter_table('owner_register_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_register_entries_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_register_entries_register_id'), ['register_id'], unique=False)

    op.create_table('owner_register_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('raised_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.Enum('open', 'upheld', 'rejected', name='objectionstate', native_enum=False, length=10), nullable=False),
    sa.Column('answer', sa.String(length=500), nullable=True),
    sa.Column('settled_by_id', sa.Integer(), nullable=True),
    sa.Column('settled_at', sa.DateTime(), nullable=True),
    sa.Column('change', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['owner_register_entries.id'], name=op.f('fk_owner_register_objections_entry_id_owner_register_entries')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'], name=op.f('fk_owner_register_objections_raised_by_id_users')),
    sa.ForeignKeyConstraint(['register_id'], ['owner_registers.id'], name=op.f('fk_owner_register_objections_register_id_owner_registers')),
    sa.ForeignKeyConstraint(['settled_by_id'], ['users.id'], name=op.f('fk_owner_register_objections_settled_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_register_objections'))
    )
    with op.batch_alter_table('owner_register_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_register_objections_register_id'), ['register_id'], unique=False)

    with op.batch_alter_table('ballot_options', schema=None) as batch_op:
        batch_op.add_column(sa.Column('none_of_these', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_number', sa.String(length=40), nullable=True))



def downgrade():
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_column('certificate_number')

    with op.batch_alter_table('ballot_options', schema=None) as batch_op:
        batch_op.drop_column('none_of_these')

    with op.batch_alter_table('owner_register_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owner_register_objections_register_id'))

    op.drop_table('owner_register_objections')
    with op.batch_alter_table('owner_register_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owner_register_entries_register_id'))
        batch_op.drop_index(batch_op.f('ix_owner_register_entries_owner_id'))

    op.drop_table('owner_register_entries')
    with op.batch_alter_table('owner_proxy_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owner_proxy_votes_proxy_id'))

    op.drop_table('owner_proxy_votes')
    with op.batch_alter_table('owner_notice_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owner_notice_recipients_notice_id'))

    op.drop_table('owner_notice_recipients')
    with op.batch_alter_table('owner_notice_postings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owner_notice_postings_notice_id'))

    op.drop_table('owner_notice_postings')
    op.drop_table('owner_registers')
    with op.batch_alter_table('owner_proxies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owner_proxies_proxy_phone'))
        batch_op.drop_index(batch_op.f('ix_owner_proxies_proxy_id'))
        batch_op.drop_index(batch_op.f('ix_owner_proxies_place_id'))
        batch_op.drop_index(batch_op.f('ix_owner_proxies_owner_id'))
        batch_op.drop_index(batch_op.f('ix_owner_proxies_ballot_id'))

    op.drop_table('owner_proxies')
    op.drop_table('owner_notices')
    with op.batch_alter_table('owner_certificate_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owner_certificate_claims_user_id'))
        batch_op.drop_index(batch_op.f('ix_owner_certificate_claims_household_id'))

    op.drop_table('owner_certificate_claims')
