"""sectors.removed_at (/setores remover) and referrals.deleted_* (/excluir)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sectors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', storage.models.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('deleted_reason', sa.String(length=300), nullable=True))
        batch_op.create_foreign_key('fk_referrals_deleted_by', 'members', ['deleted_by_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint('fk_referrals_deleted_by', type_='foreignkey')
        batch_op.drop_column('deleted_reason')
        batch_op.drop_column('deleted_by_id')
        batch_op.drop_column('deleted_at')
    with op.batch_alter_table('sectors', schema=None) as batch_op:
        batch_op.drop_column('removed_at')
