"""questions: an index on (member_id, status)

Every command closes the sender's open questions and every plain text looks for one:
both filter questions by member and status.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 23:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(
            'ix_questions_member_id_status', ['member_id', 'status'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index('ix_questions_member_id_status')
