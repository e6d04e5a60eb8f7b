"""networks.coordination_chat_id and networks.daily_cap (issue 14, a quiet group)

coordination_chat_id: the chat linked with /coordenacao aqui, unique per platform (a chat
is the coordination of one network at most). daily_cap: automatic non-urgent messages to
the group per local day (1).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coordination_chat_id', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('daily_cap', sa.Integer(), server_default='1', nullable=False)
        )
        batch_op.create_index(
            'ix_networks_platform_coordination_chat_id',
            ['platform', 'coordination_chat_id'],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.drop_index('ix_networks_platform_coordination_chat_id')
        batch_op.drop_column('daily_cap')
        batch_op.drop_column('coordination_chat_id')
