"""Secrets come from environment variables that subscriptions name, never from the database.

A webhook's ``--secret-env VAR`` holds one or more space-separated signing secrets (more
than one while rotating); an Apprise URL may carry ``${VAR}`` placeholders for its tokens.
"""

from __future__ import annotations

import os
import re

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class MissingSecretError(Exception):
    """The environment variable a subscription names is not set in this process."""

    def __init__(self, name: str) -> None:
        super().__init__(f"environment variable {name} is not set")


def read_secrets(env_name: str | None) -> list[str]:
    if env_name is None:
        return []
    secrets = os.environ.get(env_name, "").split()
    if not secrets:
        raise MissingSecretError(env_name)
    return secrets


def expand_url(url: str) -> str:
    """Replace each ``${VAR}`` by its value from the environment."""

    def value(match: re.Match[str]) -> str:
        if (found := os.environ.get(match.group(1))) is None:
            raise MissingSecretError(match.group(1))
        return found

    return PLACEHOLDER.sub(value, url)
