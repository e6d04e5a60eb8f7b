"""deliveries, choices, notices, quiet hours; outbox indexes that serve the dispatcher

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 11:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('scheduled_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=10), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('due_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('digest_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scheduled_id'], ['scheduled_messages.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_deliveries_claims', ['status', 'claimed_at'], unique=False)
        batch_op.create_index('ix_deliveries_recent', ['network_id', 'sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_scheduled_id'), ['scheduled_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_digest_id'), ['digest_id'], unique=False)

    op.create_table('choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'chat_id', 'message_id')
    )
    with op.batch_alter_table('choices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_choices_created_at'), ['created_at'], unique=False)

    op.create_table('sent_notices',
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('sent_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('network_id', 'key')
    )

    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiet_start', sa.Integer(), nullable=False, server_default='1200'))
        batch_op.add_column(sa.Column('quiet_end', sa.Integer(), nullable=False, server_default='420'))
        batch_op.add_column(sa.Column('quiet_sundays', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('quiet_holidays', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('hourly_cap', sa.Integer(), nullable=False, server_default='4'))

    # The planner took the single-column status index and sorted every pending row;
    # (status, due_at) and (status, claimed_at) answer the dispatcher's queries in order.
    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_messages_status')
        batch_op.drop_index('ix_scheduled_messages_due_at')
        batch_op.create_index('ix_scheduled_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_scheduled_claims', ['status', 'claimed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_claims')
        batch_op.drop_index('ix_scheduled_due')
        batch_op.create_index('ix_scheduled_messages_due_at', ['due_at'], unique=False)
        batch_op.create_index('ix_scheduled_messages_status', ['status'], unique=False)
    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.drop_column('hourly_cap')
        batch_op.drop_column('quiet_holidays')
        batch_op.drop_column('quiet_sundays')
        batch_op.drop_column('quiet_end')
        batch_op.drop_column('quiet_start')
    op.drop_table('sent_notices')
    with op.batch_alter_table('choices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_choices_created_at'))
    op.drop_table('choices')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_digest_id'))
        batch_op.drop_index(batch_op.f('ix_deliveries_scheduled_id'))
        batch_op.drop_index('ix_deliveries_recent')
        batch_op.drop_index('ix_deliveries_claims')
        batch_op.drop_index('ix_deliveries_due')
    op.drop_table('deliveries')
