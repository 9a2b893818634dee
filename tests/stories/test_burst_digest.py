"""A busy day as a reader gets it: the digest after a day of 117 different
events (the labelled burst file) must list them, not fold them into a few
headlines (issue 20: "a digest of 100 different events lists at least 90 lines")."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from benchmarks.stories import BURST_FILE, load_rows
from bot.caller import Caller
from bot.config import Settings
from bot.core import PolicyWatch

CHANNEL = Caller(platform="console", workspace="W1", channel="C-busy", user="U1")


async def test_a_digest_of_a_busy_day_lists_at_least_nine_in_ten_events(settings: Settings) -> None:
    rows = load_rows(BURST_FILE)
    events = {labels["story"] for _, labels in rows}
    assert len(events) >= 100
    core = await PolicyWatch.open(settings)
    try:
        core.clock = lambda: datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
        reply = await core.handle(CHANNEL, "subscribe all daily at 09:00")
        assert not reply.is_error, reply.to_text()
        core.clock = lambda: datetime(2026, 3, 10, 23, 59, tzinfo=UTC)
        await core.ingest([item for item, _ in rows])
        [built] = await core.run_digests(datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
        lines = {item.story_id for item in built.reply.all_items()}
        assert len(lines) >= 0.9 * len(events), f"{len(lines)} lines for {len(events)} events"
    finally:
        await core.close()


def test_the_burst_file_is_one_day(tmp_path: Path) -> None:
    moments = [item.published for item, _ in load_rows(BURST_FILE)]
    assert all(m is not None for m in moments)
    dated = [m for m in moments if m is not None]
    assert (max(dated) - min(dated)).total_seconds() < 24 * 3600
