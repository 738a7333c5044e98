"""earnings_event.date_source: which calendar source set the report date

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 22:10:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('earnings_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('date_source', sqlmodel.sql.sqltypes.AutoString(length=32),
                                      nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('earnings_event', schema=None) as batch_op:
        batch_op.drop_column('date_source')
