"""scheduled_messages.planned_at: when a row was first due, kept across deferrals

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_at', storage.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.drop_column('planned_at')
