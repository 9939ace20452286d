"""Time limits on article steps: a step that runs out of time fails its article, with the
reason, instead of leaving it between steps for the stall sweep to start again (and again).

The soft limit raises ``SoftTimeLimitExceeded`` inside the task; the hard limit kills the
pool process and is reported by the worker. Both end in Celery's ``task_failure`` signal,
which is where the reason is recorded, so the steps themselves need no code for it.
"""

from __future__ import annotations

from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from celery.signals import task_failure

from storage.articles import step_of
from storage.db import session_scope
from tasks.articles import fail, waiting_step
from tasks.context import engine

# The steps whose first argument is the id of an article on its way through the pipeline.
ARTICLE_STEPS = frozenset({
    "tasks.articles.fetch_article",
    "tasks.articles.extract_article",
    "tasks.articles.dedup_article",
    "tasks.analyse.analyse_article",
    "tasks.alerts.decide_alerts",
})


@task_failure.connect
def record_time_limit(
    sender: Task | None = None,
    exception: BaseException | None = None,
    args: tuple[Any, ...] | list[Any] | None = None,
    **_: Any,
) -> None:
    """Fail the article of a step stopped by a time limit, with reason ``time_limit``."""
    if not isinstance(exception, (SoftTimeLimitExceeded, TimeLimitExceeded)):
        return
    if sender is None or sender.name not in ARTICLE_STEPS or not args:
        return
    kind = "soft" if isinstance(exception, SoftTimeLimitExceeded) else "hard"
    fail(args[0], "time_limit", f"{_step_running(args[0]) or sender.name} exceeded its {kind} "
         "time limit")


def _step_running(article_id: int) -> str | None:
    """The step the article was in: a task runs the article's later steps too (go_on), and
    the article's status says which one it had reached."""
    with session_scope(engine()) as session:
        found = step_of(session, article_id)
    step = waiting_step(found[0]) if found else None
    return step.name if step is not None else None
