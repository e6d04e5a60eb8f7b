"""members.confirmed_at / confirmed_by_id: the coordination confirms who speaks for a sector

Members who had declared a sector before this revision are confirmed by it (confirmed_at
is their created_at, confirmed_by_id stays NULL): a running network keeps its
representatives; only declarations made from now on wait for the coordination.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('confirmed_at', storage.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column('confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_members_confirmed_by_id_members',
            'members',
            ['confirmed_by_id'],
            ['id'],
            ondelete='SET NULL',
        )
    op.execute('UPDATE members SET confirmed_at = created_at WHERE sector_id IS NOT NULL')


def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_constraint('fk_members_confirmed_by_id_members', type_='foreignkey')
        batch_op.drop_column('confirmed_by_id')
        batch_op.drop_column('confirmed_at')
