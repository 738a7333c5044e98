"""Result history (past quarters for growth and streaks), guidance statements, history seeding

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes

import bot.store.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'result_history',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('fiscal_period', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('metric', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('basis', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column('actual', bot.store.types.DecimalText(), nullable=False),
        sa.Column('estimate', bot.store.types.DecimalText(), nullable=True),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('recorded_at', bot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('company_id', 'fiscal_period', 'metric', 'basis', 'unit', 'currency', 'source'),
    )
    op.create_index(op.f('ix_result_history_company_id'), 'result_history', ['company_id'], unique=False)
    op.create_table(
        'guidance_statement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('metric', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('span', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('period_label', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('basis', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column('value', bot.store.types.DecimalText(), nullable=False),
        sa.Column('low', bot.store.types.DecimalText(), nullable=True),
        sa.Column('high', bot.store.types.DecimalText(), nullable=True),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('stated_at', bot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_id'], ['earnings_event.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id', 'metric', 'span', 'period', 'source'),
    )
    op.create_index(op.f('ix_guidance_statement_company_id'), 'guidance_statement', ['company_id'], unique=False)
    op.create_index(op.f('ix_guidance_statement_event_id'), 'guidance_statement', ['event_id'], unique=False)
    op.create_table(
        'history_seed',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('seeded_at', bot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('company_id'),
    )


def downgrade() -> None:
    op.drop_table('history_seed')
    op.drop_index(op.f('ix_guidance_statement_event_id'), table_name='guidance_statement')
    op.drop_index(op.f('ix_guidance_statement_company_id'), table_name='guidance_statement')
    op.drop_table('guidance_statement')
    op.drop_index(op.f('ix_result_history_company_id'), table_name='result_history')
    op.drop_table('result_history')
