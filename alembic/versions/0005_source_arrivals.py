"""Racing sources: when each source first showed an event's result, and the feed items seen

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 15:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes

import bot.store.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'source_arrival',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('published_at', bot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column('seen_at', bot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('lag_seconds', sa.Float(), nullable=False),
        sa.Column('agrees', sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['earnings_event.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id', 'source'),
    )
    op.create_index(op.f('ix_source_arrival_seen_at'), 'source_arrival', ['seen_at'], unique=False)
    op.create_table(
        'feed_item_seen',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('feed', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('seen_at', bot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_feed_item_seen_digest'), 'feed_item_seen', ['digest'], unique=True)
    op.create_index(op.f('ix_feed_item_seen_feed'), 'feed_item_seen', ['feed'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_feed_item_seen_feed'), table_name='feed_item_seen')
    op.drop_index(op.f('ix_feed_item_seen_digest'), table_name='feed_item_seen')
    op.drop_table('feed_item_seen')
    op.drop_index(op.f('ix_source_arrival_seen_at'), table_name='source_arrival')
    op.drop_table('source_arrival')
