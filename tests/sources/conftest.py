"""Fixtures: a local feed server on 127.0.0.1 (random port) and a fast Ingestor."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from pw_feedserver import FeedServer, build_app, fast_limits

from bot.config import Settings
from bot.sources import Ingestor, MemorySourceStateStore


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = FeedServer(base="", port=0)
    runner = web.AppRunner(build_app(server), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.port = runner.addresses[0][1]
    server.base = f"http://127.0.0.1:{server.port}"
    try:
        yield server
    finally:
        await runner.cleanup()


@pytest.fixture
async def ingestor() -> AsyncIterator[Ingestor]:
    """Ingestor allowed to reach 127.0.0.1 (allow_private_urls), with fast limits."""
    engine = Ingestor(
        Settings(allow_private_urls=True, contact="tests@example.org"),
        MemorySourceStateStore(),
        limits=fast_limits(),
    )
    try:
        yield engine
    finally:
        await engine.aclose()
