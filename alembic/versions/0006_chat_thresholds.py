"""Per-chat thresholds: the chat's own in-line band and minimum surprise (in basis points, NULL and
0: the defaults), and a delivery sent without a notification sound

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chat', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_line_band_bp', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('min_surprise_bp', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('silent', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('silent')
    with op.batch_alter_table('chat', schema=None) as batch_op:
        batch_op.drop_column('min_surprise_bp')
        batch_op.drop_column('in_line_band_bp')
