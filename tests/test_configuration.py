"""Every setting is documented: in .env.example for operators and in the README's table."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT
from pydantic import ValidationError

from config.settings import Settings

VARIABLES = {f"CLAIMWATCH_{name.upper()}" for name in Settings.model_fields}
# Read by docker-compose.yml itself, not by claimwatch.
COMPOSE_ONLY = {"CLAIMWATCH_WEB_PORT"}


def test_env_example_lists_every_setting() -> None:
    listed = set(re.findall(r"^#?\s*(CLAIMWATCH_\w+)=", (ROOT / ".env.example").read_text(), re.M))
    assert listed >= VARIABLES, sorted(VARIABLES - listed)
    assert listed - VARIABLES == COMPOSE_ONLY


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"`(CLAIMWATCH_\w+)`", readme))
    assert documented >= VARIABLES | COMPOSE_ONLY, sorted(VARIABLES - documented)


def test_database_urls_are_accepted_as_operators_write_them() -> None:
    assert Settings(database_url="postgresql://u@db/x").database_url == (
        "postgresql+psycopg://u@db/x"
    )
    assert Settings(database_url="postgres://u@db/x").database_url.startswith("postgresql+psycopg")
    assert Settings(database_url="sqlite:///data.db").database_url == "sqlite:///data.db"


def test_a_stance_model_folder_without_a_model_is_refused_at_once(tmp_path) -> None:
    with pytest.raises(ValidationError, match="holds no stance model"):
        Settings(stance_model_dir=str(tmp_path))
    (tmp_path / "meta.json").write_text("{}")
    assert Settings(stance_model_dir=str(tmp_path)).stance_model_dir == str(tmp_path)
    assert Settings().stance_model_dir == ""
