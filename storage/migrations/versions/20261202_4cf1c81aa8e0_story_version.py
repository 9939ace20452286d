"""story version

Revision ID: 4cf1c81aa8e0
Revises: 5efb68075969
Create Date: 2026-12-02 09:00:00.000000

A story's ``version`` goes up in the same transaction as every write to what its page
shows, so the web app can keep a rendered page until the version moves (web.caching). It
is bumped by triggers, not by the code that writes: every write path counts, today's
(analysis, alert decisions, revisions, copies joining, claim edits) and any added later,
even a hand-made fix in psql. A later migration that shows a new column on the page adds
it to the column lists here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '4cf1c81aa8e0'
down_revision: str | Sequence[str] | None = '5efb68075969'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHOWN_ARTICLE_COLUMNS = (
    "story_id, external_id, title, url, author, published_at, discovered_at, outlet_id"
)
STORY_OF_ARTICLE = "id = (SELECT story_id FROM article WHERE id = {row}.article_id)"

# (name, table, event, condition or None, which stories' rows to bump)
TRIGGERS = [
    ("story_shown", "story", "UPDATE OF title, claim_id, created_at, last_activity_at", None,
     "id = NEW.id"),
    ("claim_text", "claim", "UPDATE OF text, external_id, origin", None,
     "claim_id = NEW.id"),
    ("article_in", "article", "INSERT", "NEW.story_id IS NOT NULL", "id = NEW.story_id"),
    ("article_shown", "article", f"UPDATE OF {SHOWN_ARTICLE_COLUMNS}",
     "OLD.story_id IS NOT NULL OR NEW.story_id IS NOT NULL",
     "id IN (OLD.story_id, NEW.story_id)"),
    ("article_out", "article", "DELETE", "OLD.story_id IS NOT NULL", "id = OLD.story_id"),
    # A stance record is shown on the page of the story whose claim it judges.
    ("stance_in", "stance", "INSERT", None, "claim_id = NEW.claim_id"),
    ("stance_shown", "stance", "UPDATE", None, "claim_id IN (OLD.claim_id, NEW.claim_id)"),
    ("stance_out", "stance", "DELETE", None, "claim_id = OLD.claim_id"),
    ("cited_in", "article_source", "INSERT", None, STORY_OF_ARTICLE.format(row="NEW")),
    ("cited_shown", "article_source", "UPDATE", None,
     f"{STORY_OF_ARTICLE.format(row='OLD')} OR {STORY_OF_ARTICLE.format(row='NEW')}"),
    ("cited_out", "article_source", "DELETE", None, STORY_OF_ARTICLE.format(row="OLD")),
    ("source_name", "source", "UPDATE OF name, kind", None,
     "id IN (SELECT a.story_id FROM article a JOIN article_source s ON s.article_id = a.id"
     " WHERE s.source_id = NEW.id)"),
    ("outlet_name", "outlet", "UPDATE OF name", None,
     "id IN (SELECT story_id FROM article WHERE outlet_id = NEW.id)"),
    ("alert_in", "alert", "INSERT", None, "id = NEW.story_id"),
    ("alert_shown", "alert", "UPDATE", None, "id IN (OLD.story_id, NEW.story_id)"),
    ("alert_out", "alert", "DELETE", None, "id = OLD.story_id"),
]


def _bump(where: str) -> str:
    return f"UPDATE story SET version = version + 1 WHERE {where};"


def upgrade() -> None:
    op.add_column(
        'story', sa.Column('version', sa.Integer(), server_default='0', nullable=False)
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, table, event, condition, where in TRIGGERS:
        trigger = f"story_version_{name}"
        if postgresql:
            op.execute(
                f"CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{_bump(where)} RETURN NULL; END $$"
            )
            when = f" WHEN ({condition})" if condition else ""
            op.execute(f"CREATE TRIGGER {trigger} AFTER {event} ON {table} FOR EACH ROW"
                       f"{when} EXECUTE FUNCTION {trigger}()")
        else:
            when = f" WHEN {condition}" if condition else ""
            op.execute(f"CREATE TRIGGER {trigger} AFTER {event} ON {table} FOR EACH ROW"
                       f"{when} BEGIN {_bump(where)} END")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, table, *_ in TRIGGERS:
        trigger = f"story_version_{name}"
        op.execute(f"DROP TRIGGER {trigger} ON {table}" if postgresql
                   else f"DROP TRIGGER {trigger}")
        if postgresql:
            op.execute(f"DROP FUNCTION {trigger}()")
    op.drop_column('story', 'version')
