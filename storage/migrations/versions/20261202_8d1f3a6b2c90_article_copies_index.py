"""article copies index

When an original is analysed, its copies recognised before it join its story
(`storage.articles.join_copies`): an index on ``duplicate_of_id`` finds them, where the
database otherwise walked every article not yet in a story (failed ones stay so forever,
so that walk grew with the database).

Revision ID: 8d1f3a6b2c90
Revises: 4cf1c81aa8e0
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '8d1f3a6b2c90'
down_revision: str | Sequence[str] | None = '4cf1c81aa8e0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f('ix_article_duplicate_of_id'), 'article', ['duplicate_of_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_article_duplicate_of_id'), table_name='article')
