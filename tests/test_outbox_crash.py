"""Crash the sender at every step, in a real subprocess, and check that each
digest reaches the (fake) Slack exactly once after a restart, part by part:
a digest is a header message and its stories in as many messages as needed,
and a crash between two parts resumes with the parts not yet posted.

The bot process is ``policywatch digest`` with the Slack adapter pointed at a
local fake Slack; ``POLICYWATCH_FAULT`` makes it SIGKILL itself at one step:
after claiming rows, after Slack accepted a message but before it was recorded,
or after recording. A second, clean run must finish the job without a repeat.

With the real lease (two minutes), the second run started at once must take
over the dead run's rows rather than wait: on SQLite because the owner's pid
is gone from this host, on PostgreSQL because its session left
``pg_stat_activity``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.slack.blocks import escape
from adapters.slack.tests.fake_slack import FakeSlack
from bot.caller import Caller
from bot.config import Settings
from bot.core import PolicyWatch
from bot.models import Item
from bot.store.records import OutboxEntry
from tests.conftest import NO_SOURCES
from tests.long_digest import long_digest
from tests.test_store_backends import fresh_pg_schema

CHANNELS = ("C1", "C2", "C3")
NOW = "2026-11-26T09:01:00Z"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


async def _prepare(db: Path, url: str | None = None) -> None:
    """Three Slack channels subscribed yesterday, and one new matching item each."""
    settings = Settings(
        data_dir=db.parent, database_url=url or f"sqlite:///{db}", sources_file=NO_SOURCES
    )
    core = await PolicyWatch.open(settings)
    core.clock = lambda: datetime(2026, 11, 25, 9, tzinfo=UTC)  # "yesterday"
    try:
        for channel in CHANNELS:
            caller = Caller(platform="slack", workspace="T1", channel=channel, user="U1")
            reply = await core.handle(caller, "subscribe ev-tariffs daily at 09:00 tz UTC")
            assert not reply.is_error
        await core.ingest(
            [
                Item(
                    id="new1",
                    title="US raises tariffs on Chinese EVs again",
                    url="https://n.example/1",
                    source="Reuters",
                ),
            ]
        )
    finally:
        await core.close()


async def _run_digest(
    db: Path,
    fake: FakeSlack,
    fault: str | None,
    *,
    url: str | None = None,
    lease: str = "0",
    out: list[str] | None = None,
) -> int:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "POLICYWATCH_"))
    }
    env.update(
        POLICYWATCH_DATABASE_URL=url or f"sqlite:///{db}",
        POLICYWATCH_DATA_DIR=str(db.parent),
        POLICYWATCH_SOURCES_FILE=str(NO_SOURCES),
        POLICYWATCH_OUTBOX_LEASE_SECONDS=lease,
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET="test-secret",
        SLACK_API_URL=fake.api_url,
    )
    if fault:
        env["POLICYWATCH_FAULT"] = fault
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "digest",
        "--now",
        NOW,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    if out is not None:
        out.append(stdout.decode())
    if process.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(stderr.decode())
    return process.returncode


def _delivered(fake: FakeSlack) -> list[tuple[str, int, int]]:
    """(channel, outbox id, part) of every digest message Slack accepted."""
    out = []
    for call in fake.of("chat.postMessage"):
        metadata = call.args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if metadata:
            payload = metadata["event_payload"]
            out.append((call.args["channel"], payload["outbox_id"], payload["part"]))
    return out


@pytest.mark.parametrize("fault", ["after_claim", "after_send", "after_record", None])
async def test_each_digest_arrives_exactly_once_whatever_step_crashes(
    tmp_path: Path, fake: FakeSlack, fault: str | None
) -> None:
    db = tmp_path / "bot.db"
    await _prepare(db)
    first = await _run_digest(db, fake, fault)
    assert first == (-signal.SIGKILL if fault else 0)
    assert await _run_digest(db, fake, None) == 0  # the restart
    delivered = _delivered(fake)
    # Each channel got its one-message digest, once.
    assert sorted((channel, part) for channel, _, part in delivered) == [
        (channel, 0) for channel in sorted(CHANNELS)
    ]
    assert len({outbox for _, outbox, _ in delivered}) == len(CHANNELS)
    # A third run has nothing left to do.
    assert await _run_digest(db, fake, None) == 0
    assert len(_delivered(fake)) == len(CHANNELS)


async def _queue_long_digest(db: Path) -> list[str]:
    """A 120-story digest waiting in the outbox for channel C1; its headlines."""
    settings = Settings(data_dir=db.parent, database_url=f"sqlite:///{db}", sources_file=NO_SOURCES)
    core = await PolicyWatch.open(settings)
    try:
        reply = long_digest(120)
        entry = OutboxEntry("digest:long", "digest", "slack", "T1", "C1", reply.to_json())
        await core.store.enqueue([entry], [])
    finally:
        await core.close()
    return [escape(item.title) for item in reply.all_items()]


@pytest.mark.parametrize("parts_before_crash", [1, 2, 3])
async def test_a_crash_between_parts_resumes_without_repeating_one(
    tmp_path: Path, fake: FakeSlack, parts_before_crash: int
) -> None:
    db = tmp_path / "bot.db"
    headlines = await _queue_long_digest(db)
    fault = f"after_send#{parts_before_crash}"
    assert await _run_digest(db, fake, fault) == -signal.SIGKILL
    assert len(_delivered(fake)) == parts_before_crash
    assert await _run_digest(db, fake, None) == 0  # the restart
    parts = [part for _, _, part in _delivered(fake)]
    assert parts == list(range(len(parts))) and len(parts) > parts_before_crash
    texts = "\n".join(json.dumps(call.args.get("blocks")) for call in fake.of("chat.postMessage"))
    assert all(texts.count(headline) == 1 for headline in headlines)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@pytest.mark.parametrize("fault", ["after_claim", "after_send"])
async def test_a_killed_senders_rows_are_taken_over_at_once(
    tmp_path: Path, fake: FakeSlack, fault: str, backend: str
) -> None:
    """SIGKILL mid-send with a two-minute lease; the run right after sends
    everything, exactly once, and says it took the rows over."""
    db = tmp_path / "bot.db"
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh_pg_schema()) if backend == "postgres" else None
        await _prepare(db, url)
        killed = await _run_digest(db, fake, fault, url=url, lease="120")
        assert killed == -signal.SIGKILL
        held_before = len(_delivered(fake))
        assert held_before == (1 if fault == "after_send" else 0)
        said: list[str] = []
        assert await _run_digest(db, fake, None, url=url, lease="120", out=said) == 0
        delivered = _delivered(fake)
        assert sorted(channel for channel, _, _ in delivered) == sorted(CHANNELS)
        assert len({outbox for _, outbox, _ in delivered}) == len(CHANNELS)
        assert "3 held by a sender that stopped (pid " in said[0], said[0]
        assert "sent 3," in said[0]
