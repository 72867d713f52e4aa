"""Referral delivery: whether the slip has been produced, when the agency acknowledged receipt and answered

Revision ID: 0003_slips
Revises: 0002
Create Date: 2026-11-22 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate writes sqlmodel types
from alembic import op

revision = '0003_slips'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slip_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='pending'))
        batch_op.add_column(sa.Column('slip_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_via', sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=True))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('answered_at')
        batch_op.drop_column('acknowledged_via')
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('slip_at')
        batch_op.drop_column('slip_status')
