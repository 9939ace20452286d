"""article index terms

The heaviest stems of each analysed article as the claim index weighs them: a later article
is compared with its candidate story's latest reports as well as with the story's claim
(`analysis.matching.FEATURES`, `story_cosine`). NULL for articles analysed before it was
kept; such reports are not compared.

Revision ID: e5a1f2c3d4b6
Revises: c41e9a7d5b12
Create Date: 2026-12-03 17:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e5a1f2c3d4b6'
down_revision: str | Sequence[str] | None = 'c41e9a7d5b12'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('article', schema=None) as batch_op:
        batch_op.add_column(sa.Column('index_terms', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('article', schema=None) as batch_op:
        batch_op.drop_column('index_terms')
