"""article story latest index

A story's latest reports are read for every candidate story of every new article
(`storage.claims.latest_report_terms`): an index on (story_id, id) lets each story's part
of that statement walk its newest rows instead of all of them.

Revision ID: f7b2c4d6e8a1
Revises: e5a1f2c3d4b6
Create Date: 2026-12-03 18:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'f7b2c4d6e8a1'
down_revision: str | Sequence[str] | None = 'e5a1f2c3d4b6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('article', schema=None) as batch_op:
        batch_op.create_index('ix_article_story_id_id', ['story_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('article', schema=None) as batch_op:
        batch_op.drop_index('ix_article_story_id_id')
