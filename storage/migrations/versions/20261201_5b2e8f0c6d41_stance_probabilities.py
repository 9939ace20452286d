"""stance probabilities

Revision ID: 5b2e8f0c6d41
Revises: a7d3c9e1b2f4
Create Date: 2026-12-01 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5b2e8f0c6d41'
down_revision: str | Sequence[str] | None = 'a7d3c9e1b2f4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('stance', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('probabilities', sa.JSON(), nullable=False, server_default='{}')
        )


def downgrade() -> None:
    with op.batch_alter_table('stance', schema=None) as batch_op:
        batch_op.drop_column('probabilities')
