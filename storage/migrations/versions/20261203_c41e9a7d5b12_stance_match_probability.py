"""stance match probability

The matcher's probability that the article belongs to the claim's story, kept on its
stance record: a contradiction needs texts without a headline that surely are of the story
(`analysis.alerts.MIN_ON_STORY_BODY_ALONE`). NULL for the report that opened its story and
for records written before it was kept; both count as of the story.

Revision ID: c41e9a7d5b12
Revises: 8d1f3a6b2c90
Create Date: 2026-12-03 13:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c41e9a7d5b12'
down_revision: str | Sequence[str] | None = '8d1f3a6b2c90'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('stance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_probability', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stance', schema=None) as batch_op:
        batch_op.drop_column('match_probability')
