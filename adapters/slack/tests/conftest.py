"""Fixtures: a fake Slack Web API, the real core, and a running SlackAdapter on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from adapters.slack import SlackAdapter
from adapters.slack.tests.fake_slack import FakeSlack, sign
from bot.config import Settings
from bot.core import PolicyWatch

SECRET = "test-signing-secret"
ADMIN = "UADMIN"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, fake: FakeSlack) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path}/t.db",
        admins=frozenset({ADMIN}),
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake.api_url,
    )


@pytest.fixture
async def core(settings: Settings) -> AsyncIterator[PolicyWatch]:
    instance = await PolicyWatch.open(settings)
    await instance.load_sample()
    try:
        yield instance
    finally:
        await instance.close()


@pytest.fixture
async def adapter(core: PolicyWatch, settings: Settings) -> AsyncIterator[SlackAdapter]:
    slack = SlackAdapter(core, settings, host="127.0.0.1", port=0)
    await slack.open()
    try:
        yield slack
    finally:
        await slack.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Poster:
    """Sends signed requests to the adapter the way Slack does."""

    def __init__(self, session: aiohttp.ClientSession, port: int) -> None:
        self.session = session
        self.url = f"http://127.0.0.1:{port}/slack/events"

    async def __call__(
        self,
        body_and_type: tuple[str, str],
        *,
        secret: str = SECRET,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        body, content_type = body_and_type
        signed = headers if headers is not None else sign(secret, body, timestamp)
        async with self.session.post(
            self.url, data=body.encode(), headers={**signed, "Content-Type": content_type}
        ) as response:
            return response.status, await response.text()


@pytest.fixture
def post(http: aiohttp.ClientSession, adapter: SlackAdapter) -> Poster:
    return Poster(http, adapter.port)
