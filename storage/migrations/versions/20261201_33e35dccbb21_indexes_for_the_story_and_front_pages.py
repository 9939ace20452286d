"""indexes for the story and front pages

The front page counts each story's outlets and contradictions in correlated subqueries;
(story_id, outlet_id) and (story_id, kind) answer them from the index alone, and serve
every lookup the single-column story_id indexes served, which they replace.

Revision ID: 33e35dccbb21
Revises: 74e32be24b84
Create Date: 2026-12-01 13:32:45.204796
"""

from collections.abc import Sequence

from alembic import op

revision: str = '33e35dccbb21'
down_revision: str | Sequence[str] | None = '74e32be24b84'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The new index first, so story_id lookups always have one.
    op.create_index('ix_alert_story_id_kind', 'alert', ['story_id', 'kind'], unique=False)
    op.drop_index(op.f('ix_alert_story_id'), table_name='alert')
    op.create_index(
        'ix_article_story_id_outlet_id', 'article', ['story_id', 'outlet_id'], unique=False
    )
    op.drop_index(op.f('ix_article_story_id'), table_name='article')


def downgrade() -> None:
    op.create_index(op.f('ix_article_story_id'), 'article', ['story_id'], unique=False)
    op.drop_index('ix_article_story_id_outlet_id', table_name='article')
    op.create_index(op.f('ix_alert_story_id'), 'alert', ['story_id'], unique=False)
    op.drop_index('ix_alert_story_id_kind', table_name='alert')
