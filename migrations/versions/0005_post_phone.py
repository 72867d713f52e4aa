"""Posts: the duty telephone printed on referral slips, for agencies that answer by phone

Revision ID: 0005_post_phone
Revises: 0004_training
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate writes sqlmodel types
from alembic import op

revision = '0005_post_phone'
down_revision = '0004_training'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))


def downgrade() -> None:
    # In place (ALTER TABLE ... DROP COLUMN, SQLite 3.35 and later), never by batch mode's copy of the table: its
    # DROP TABLE posts is refused while users and cases point at posts with foreign_keys on.
    with op.batch_alter_table('posts', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('phone')
