"""A 120-story digest reaches the fake Slack and the fake Discord whole: every
story's headline and link, in few messages, through the real outbox sender and
the real slack-bolt / discord.py clients. Both fakes refuse what the platforms
refuse (block and embed limits), so a layout over a limit fails here too."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.tests.fake_discord import CHANNEL_B, GUILD_A, running_bot
from adapters.slack import SlackAdapter
from adapters.slack.blocks import escape
from adapters.slack.tests.fake_slack import FakeSlack
from bot.config import Settings
from bot.core import PolicyWatch
from bot.delivery import Delivery
from bot.digests.sender import OutboxSender, Pacing
from bot.replies import Reply
from bot.store.records import OutboxEntry
from tests.conftest import NO_SOURCES
from tests.long_digest import headline, link, long_digest

FAST = Pacing(global_per_second=1000, channel_interval=0)
STORIES = 120


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


@pytest.fixture
async def core(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[PolicyWatch]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path}/outbox.db",
        sources_file=NO_SOURCES,
        slack_bot_token="xoxb-test",
        slack_signing_secret="secret",
        slack_api_url=fake.api_url,
    )
    instance = await PolicyWatch.open(settings)
    try:
        yield instance
    finally:
        await instance.close()


async def _queue(core: PolicyWatch, platform: str, workspace: str, channel: str) -> Reply:
    reply = long_digest(STORIES)
    assert len(reply.all_items()) == STORIES
    entry = OutboxEntry(
        dedupe_key=f"digest:{platform}:{channel}",
        kind="digest",
        platform=platform,
        workspace=workspace,
        channel=channel,
        payload=reply.to_json(),
    )
    await core.store.enqueue([entry], [])
    return reply


async def _send_to_slack(core: PolicyWatch) -> None:
    await _queue(core, "slack", "T1", "C1")
    slack = SlackAdapter(core, core.settings, host="127.0.0.1", port=0)
    report = await OutboxSender(core.store, {"slack": slack}, FAST).drain()
    assert report.sent == 1 and report.failed == 0, report.errors
    [row] = await core.store.outbox()
    assert row.status == "sent"


def _posted(fake: FakeSlack) -> list[dict[str, Any]]:
    """What Slack accepted: the calls it did not refuse, in order."""
    accepted = []
    for call in fake.of("chat.postMessage"):
        refused = fake.refuse_blocks and call.args.get("blocks")
        if not refused:
            accepted.append(call.args)
    return accepted


async def test_a_120_story_digest_reaches_slack_whole(core: PolicyWatch, fake: FakeSlack) -> None:
    await _send_to_slack(core)
    posted = _posted(fake)
    assert 2 <= len(posted) <= 8
    header = posted[0]
    assert header["blocks"][0]["type"] == "header"
    assert len(header["blocks"]) <= 6  # a short header; the stories follow
    for n in range(STORIES):
        # Every story is in the blocks of exactly one message, and in that
        # message's own fallback text too.
        holders = [p for p in posted if escape(headline(n)) in json.dumps(p["blocks"])]
        assert len(holders) == 1, headline(n)
        assert escape(headline(n)) in holders[0]["text"]
        assert link(n) in holders[0]["text"] and link(n) in json.dumps(holders[0]["blocks"])
    parts = [p["metadata"]["event_payload"]["part"] for p in posted]
    assert parts == list(range(len(posted)))
    shown = json.dumps([p["blocks"] for p in posted])
    assert "why:" not in shown and "story `" not in shown and "· other" not in shown


async def test_refused_blocks_still_deliver_every_headline(
    core: PolicyWatch, fake: FakeSlack
) -> None:
    fake.refuse_blocks = True
    await _send_to_slack(core)
    posted = _posted(fake)
    assert posted and all(not p.get("blocks") for p in posted)
    assert len(posted) <= 8
    text = "\n".join(p["text"] for p in posted)
    for n in range(STORIES):
        assert f"<{link(n)}|{escape(headline(n))}>" in text
    assert max(len(p["text"]) for p in posted) <= 12_000


async def test_a_120_story_digest_reaches_discord_whole(core: PolicyWatch, tmp_path: Path) -> None:
    await _queue(core, "discord", str(GUILD_A), str(CHANNEL_B))
    async with running_bot(core, tmp_path) as (fake, adapter):
        report = await OutboxSender(core.store, {"discord": adapter}, FAST).drain()
        assert report.sent == 1 and report.failed == 0, report.errors
        posts = [
            r.body
            for r in fake.requests
            if r.method == "POST" and r.path == f"/api/v10/channels/{CHANNEL_B}/messages"
        ]
    assert 1 <= len(posts) <= 4
    descriptions = [[e.get("description") or "" for e in post["embeds"]] for post in posts]
    for n in range(STORIES):
        holders = [d for d in descriptions if any(f"{headline(n)}]({link(n)})" in x for x in d)]
        assert len(holders) == 1, headline(n)
    shown = json.dumps(posts)
    assert "Page " not in shown and "digest 1" not in shown and '"footer"' not in shown


async def test_discord_resumes_a_digest_cut_short_without_repeating_a_part(
    core: PolicyWatch, tmp_path: Path
) -> None:
    """A sender that died after posting two parts, minutes ago (Discord's
    nonce window has passed): the next sender finds those two parts in the
    channel's history by their content and posts only the rest."""
    reply = await _queue(core, "discord", str(GUILD_A), str(CHANNEL_B))
    async with running_bot(core, tmp_path) as (fake, adapter):
        [row] = await core.store.claim_outbox(datetime.now(UTC), 10, timedelta(seconds=0))
        for part in (0, 1):
            await adapter.deliver(Delivery(row.id, str(GUILD_A), str(CHANNEL_B), reply, part))
        fake.forget_nonces()
        report = await OutboxSender(core.store, {"discord": adapter}, FAST).drain()
        assert report.sent == 1
        posts = [
            r.body
            for r in fake.requests
            if r.method == "POST" and r.path == f"/api/v10/channels/{CHANNEL_B}/messages"
        ]
    assert len(posts) == adapter.part_count(reply) == 4
    shown = json.dumps(posts)
    assert all(shown.count(f"{headline(n)}]") == 1 for n in range(STORIES))
