"""attendance: a sector marked present without naming anyone (member_id may be NULL)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECTOR_ONLY = sa.text('member_id IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.alter_column('member_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(
            'ux_attendance_sector_only',
            ['meeting_id', 'sector_id'],
            unique=True,
            sqlite_where=SECTOR_ONLY,
            postgresql_where=SECTOR_ONLY,
        )


def downgrade() -> None:
    op.execute('DELETE FROM attendance WHERE member_id IS NULL')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index('ux_attendance_sector_only')
        batch_op.alter_column('member_id', existing_type=sa.Integer(), nullable=False)
