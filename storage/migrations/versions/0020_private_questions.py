"""questions: in_private, where the question was asked

A plain text in the private chat answers only a question asked there; one asked in the
group (a devolutiva's text after its code's button) is answered in the group.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('in_private', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Before this revision every open "why not?" could be answered in private: the ones
    # still open keep that (the others were asked in the group and stay there).
    op.execute(
        "UPDATE questions SET in_private = true WHERE kind = 'rsvp_reason' AND status = 'open'"
    )


def downgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('in_private')
