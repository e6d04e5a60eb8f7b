"""flow_documents / flow_versions and networks.flow_review_months: the network's flows and
protocols, with versions approved at a meeting and a yearly review (issue 15)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('flow_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sector_id'], ['sectors.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('network_id', 'key')
    )
    op.create_table('flow_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_mime', sa.String(length=100), nullable=False),
    sa.Column('file_content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['members.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['flow_documents.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['members.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_id', 'number')
    )
    with op.batch_alter_table('flow_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flow_versions_document_id'), ['document_id'], unique=False)
    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flow_review_months', sa.Integer(), nullable=False, server_default='12'))


def downgrade() -> None:
    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.drop_column('flow_review_months')
    with op.batch_alter_table('flow_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flow_versions_document_id'))
    op.drop_table('flow_versions')
    op.drop_table('flow_documents')
