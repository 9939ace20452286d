"""Configuration from environment variables (prefix ``CLAIMWATCH_``).

Defaults are the embedded ones: an SQLite database and kombu's SQL transport over SQLite
in the working folder, so a laptop needs no server. Production sets the URLs to
PostgreSQL and Redis.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMWATCH_", extra="ignore")

    database_url: str = "sqlite:///claimwatch.sqlite"
    broker_url: str = "sqla+sqlite:///claimwatch-broker.sqlite"
    # CIDRs exempt from the address guard (comma-separated); empty: only public addresses.
    allowed_networks: str = ""
    user_agent: str = "claimwatch/0.1 (+https://github.com/claimwatch/claimwatch)"
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_body_bytes: int = 5_000_000
    max_redirects: int = 5
    # How often beat looks for due feeds, and the bounds of a feed's own poll interval.
    beat_interval_seconds: float = 10.0
    min_poll_interval_seconds: int = 60
    max_poll_interval_seconds: int = 3600
    # Polling many feeds: feeds per poll task, requests in flight per task and per host.
    poll_batch_size: int = 250
    poll_concurrency: int = 16
    poll_host_concurrency: int = 4
    # A failing feed backs off up to this delay (it is marked broken, still polled at this
    # rate, after failing for feed_broken_after_seconds).
    max_backoff_seconds: int = 6 * 3600
    # Recovery: an article whose step has not moved on for stalled_after_seconds lost its
    # message (a killed worker, a restarted broker) and is handed to a new task; beat looks
    # every stall_sweep_seconds. Raise stalled_after_seconds if queues routinely hold work
    # longer than that: a queued article is then handed out twice (harmless, steps are
    # idempotent, but wasted work).
    stalled_after_seconds: float = 30.0
    stall_sweep_seconds: float = 10.0
    # An article fetch failing for a passing reason is tried this many times in all.
    article_fetch_attempts: int = 4
    # Syndicated copies: texts at least this similar (estimated Jaccard of word shingles) to an
    # article discovered within the window are linked to it, not analysed again.
    near_duplicate_threshold: float = 0.6
    near_duplicate_window_hours: float = 72.0
    # Revisions: articles published within the window are re-fetched this often.
    revision_window_hours: float = 48.0
    revision_check_interval_seconds: float = 1800.0
    revision_sweep_seconds: float = 300.0
    # A story stays open for new reports this long after its last one.
    story_window_days: int = 400
    # Bounded cost: analysis reads at most this many characters of an article's text (the
    # cap is recorded among the article's problems), and a task that runs longer than the
    # soft limit is stopped and its article failed with reason ``time_limit``; the hard
    # limit kills the pool process if the task does not stop. A poll batch's fetches get
    # three quarters of the soft limit (see tasks/feeds.py).
    max_analysis_chars: int = 100_000
    task_soft_time_limit_seconds: float = 300.0
    task_time_limit_seconds: float = 360.0
    # A pool process whose peak resident memory passed this is replaced once its task is
    # done: a backstop against a leak or one huge page, far above the ~150 MB a pool
    # process holds.
    worker_max_memory_mb: int = 500
    # Tasks a worker reserves per pool process, the running one included. A task takes tens
    # of milliseconds, so with none waiting a pool process idles for a broker round trip
    # after each; many would let one busy worker sit on tasks another could run.
    worker_prefetch_multiplier: int = 2
    # A stance model folder written by `claimwatch train stance|headline --out`, in place of
    # the shipped one (analysis/stance/model); empty: the shipped model.
    stance_model_dir: str = ""
    # Alert delivery.
    # A delivery still failing this long after its alert is given up.
    delivery_give_up_seconds: float = 24 * 3600
    # Retry n waits backoff * 2**(n-1) (±20 % jitter), at most the maximum.
    delivery_backoff_seconds: float = 10.0
    delivery_max_backoff_seconds: float = 3600.0
    delivery_timeout_seconds: float = 10.0
    # How often beat sweeps the outbox (lost tasks, due digests) and checks operations.
    delivery_sweep_seconds: float = 10.0
    # A pending delivery untouched this long past its due time lost its task: re-enqueue it.
    delivery_lost_after_seconds: float = 30.0
    # Raise ``delivery_failing`` once a subscriber's delivery has failed this long.
    delivery_failing_after_seconds: float = 3600.0
    # Raise ``feed_broken`` once a feed has failed this long without a success.
    feed_broken_after_seconds: float = 24 * 3600
    # Server processes of `claimwatch web` (each with its own connections and threads).
    web_workers: int = Field(default=1, ge=1)
    # Routes running at once in each of them: pages are GIL-bound, so few threads serve more.
    web_threads: int = Field(default=4, ge=1)
    # Rendered story pages each of them keeps (web.caching), in MB of HTML; 0 keeps none.
    web_page_cache_mb: int = Field(default=64, ge=0)
    # Base URL of the web app, used for links in alerts.
    public_url: str = "http://localhost:8000"
    # Bearer token for the web API's writes; unset: every write is refused.
    api_token: SecretStr | None = None
    # The operator cookies' Secure flag: "auto" sets it when the request came over HTTPS or
    # the public URL is https; "true" or "false" force it.
    cookie_secure: Literal["auto", "true", "false"] = "auto"
    log_format: str = "auto"  # "json", "console" or "auto" (console on a terminal)
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _driver(cls, url: str) -> str:
        """Accept URLs as operators write them and pick the driver the project installs."""
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @field_validator("stance_model_dir")
    @classmethod
    def _stance_model(cls, folder: str) -> str:
        """A wrong folder is refused when the settings load, not at a worker's first article."""
        if folder and not (Path(folder) / "meta.json").is_file():
            raise ValueError(
                f"{folder!r} holds no stance model (meta.json); write one with "
                "`claimwatch train stance --out DIR`, or leave the setting empty"
            )
        return folder

    @property
    def allowed_network_list(self) -> list[str]:
        return [n.strip() for n in self.allowed_networks.split(",") if n.strip()]


def is_redis_url(url: str) -> bool:
    """Whether a broker URL names Redis (only then is Redis's client ever imported)."""
    return url.startswith(("redis://", "rediss://"))


@lru_cache
def get_settings() -> Settings:
    return Settings()
