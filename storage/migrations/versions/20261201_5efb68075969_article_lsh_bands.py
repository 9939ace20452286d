"""article LSH bands

Revision ID: 5efb68075969
Revises: 5b2e8f0c6d41
Create Date: 2026-12-01 16:40:00.000000

Near copies are looked up by LSH bucket (analysis.neardup.bands) instead of comparing
every recent article; the articles stored before get their buckets here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from analysis.neardup import bands

revision: str = '5efb68075969'
down_revision: str | Sequence[str] | None = '5b2e8f0c6d41'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    op.create_table(
        'article_band',
        sa.Column('bucket', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['article.id'], ),
        sa.PrimaryKeyConstraint('bucket', 'article_id'),
    )
    article = sa.table('article', sa.column('id', sa.Integer), sa.column('minhash', sa.JSON),
                       sa.column('status', sa.String))
    article_band = sa.table('article_band', sa.column('bucket', sa.BigInteger),
                            sa.column('article_id', sa.Integer))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(article.c.id, article.c.minhash)
            .where(article.c.id > last, article.c.minhash.is_not(None),
                   article.c.status != 'duplicate')
            .order_by(article.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        values = [{'bucket': b, 'article_id': i} for i, sig in rows if sig
                  for b in set(bands(sig))]
        if values:
            connection.execute(sa.insert(article_band), values)
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_table('article_band')
