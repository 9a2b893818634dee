"""Shared fixtures: a real core on a real SQLite file in a temporary folder."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.caller import Caller
from bot.config import Settings
from bot.core import PolicyWatch

NO_SOURCES = Path(__file__).parent / "fixtures" / "no_sources.yaml"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'test.db'}",
        admins=frozenset({"U_ADMIN"}),
        sources_file=NO_SOURCES,  # tests never fetch from the internet
    )


@pytest.fixture
async def core(settings: Settings) -> AsyncIterator[PolicyWatch]:
    instance = await PolicyWatch.open(settings)
    await instance.load_sample()
    yield instance
    await instance.close()


@pytest.fixture
def user() -> Caller:
    return Caller(platform="console", workspace="W1", channel="C1", user="U_USER")


@pytest.fixture
def admin() -> Caller:
    return Caller(platform="console", workspace="W1", channel="C1", user="U_ADMIN")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment for running ``policywatch`` as a subprocess: no platform
    credentials or settings of ours from the caller's shell, a fresh data
    folder, and no configured sources (a test must never fetch from the internet)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "POLICYWATCH_"))
    }
    clean["POLICYWATCH_DATA_DIR"] = str(tmp_path / "data")
    clean["POLICYWATCH_SOURCES_FILE"] = str(NO_SOURCES)
    return clean
