"""Configuration from environment variables (prefix ``CLAIMWATCH_``).

Defaults are the embedded ones: an SQLite database and kombu's SQL transport over SQLite
in the working folder, so a laptop needs no server. Production sets the URLs to
PostgreSQL and Redis.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import field_validator
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
    # A story stays open for new reports this long after its last one.
    story_window_days: int = 400
    # Base URL of the web app, used for links in alerts.
    public_url: str = "http://localhost:8000"
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

    @property
    def allowed_network_list(self) -> list[str]:
        return [n.strip() for n in self.allowed_networks.split(",") if n.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
