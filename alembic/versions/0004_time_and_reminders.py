"""Time: per-chat reminder, preview and revision switches and quiet hours; each source's date of an
event with its status and as-of time; an exact report time; alerts that expire; a chat's own text

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes

import bot.store.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chat', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminders', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('preview', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('revisions', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('quiet_start', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True))
        batch_op.add_column(sa.Column('quiet_end', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True))
        batch_op.add_column(sa.Column('quiet_all', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('earnings_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_time', bot.store.types.UtcDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', bot.store.types.UtcDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text', sa.Text(), nullable=True))
    op.create_table(
        'event_date',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('report_date', sa.Date(), nullable=False),
        sa.Column('timing', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('date_status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('report_time', bot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column('as_of', bot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['earnings_event.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id', 'source'),
    )


def downgrade() -> None:
    op.drop_table('event_date')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('text')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('earnings_event', schema=None) as batch_op:
        batch_op.drop_column('report_time')
    with op.batch_alter_table('chat', schema=None) as batch_op:
        for column in ('quiet_all', 'quiet_end', 'quiet_start', 'revisions', 'preview', 'reminders'):
            batch_op.drop_column(column)
