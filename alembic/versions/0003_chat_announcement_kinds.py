"""chat.announcement_items renamed announcement_kinds: it holds announcement kind keys, not 8-K items

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chat', schema=None) as batch_op:
        batch_op.alter_column('announcement_items', new_column_name='announcement_kinds',
                              existing_type=sa.String(length=200),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('chat', schema=None) as batch_op:
        batch_op.alter_column('announcement_kinds', new_column_name='announcement_items',
                              existing_type=sa.String(length=200),
                              existing_nullable=False)
