"""WhatsApp: person aliases, choice answers ordered, the webhook inbox

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('choice_answers',
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('answered_ms', sa.BigInteger(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'chat_id', 'subject', 'user_id')
    )
    with op.batch_alter_table('choice_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_choice_answers_created_at'), ['created_at'], unique=False)

    op.create_table('person_aliases',
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('alias', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'alias')
    )
    with op.batch_alter_table('person_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_aliases_user_id'), ['user_id'], unique=False)

    op.create_table('inbox_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inbox_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_events_received_at'), ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_table('inbox_events')
    op.drop_table('person_aliases')
    op.drop_table('choice_answers')
