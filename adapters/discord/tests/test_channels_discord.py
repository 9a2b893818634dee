"""Issue 16 on Discord, end to end with the real client, the fake Discord and the
real core: filters, pause and resume, a test send, source and mention admin
subcommands, autocomplete, and the one role an alert may ping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.tests.fake_discord import (
    ADMIN_PERMISSIONS,
    CHANNEL_A,
    EPHEMERAL,
    GUILD_A,
    InteractionFactory,
    Recorded,
    callback_to,
    running_bot,
)
from bot.config import Settings
from bot.core import PolicyWatch
from bot.delivery import Delivery
from bot.digests.sender import OutboxSender, Pacing
from bot.replies import Reply, ReplyItem
from bot.store.records import AuditEntry, ChatSource

ROLE_ID = 611111111111111111


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[PolicyWatch]:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/t.db")
    opened = await PolicyWatch.open(settings)
    await opened.load_sample()
    yield opened
    await opened.close()


def _text(rec: Recorded) -> str:
    return str(rec.body.get("embeds") or rec.body)


def _with_role(data: dict[str, Any]) -> dict[str, Any]:
    """Make the `role` option a real role option (type 8) with Discord's resolved data."""
    [sub] = data["data"]["options"]
    for option in sub["options"]:
        if option["name"] == "role":
            option["type"] = 8
    role = {
        "id": str(ROLE_ID),
        "name": "policy-team",
        "color": 0,
        "hoist": False,
        "position": 1,
        "permissions": "0",
        "managed": False,
        "mentionable": True,
        "flags": 0,
    }
    data["data"]["resolved"] = {"roles": {str(ROLE_ID): role}}
    return data


async def test_filters_pause_resume_and_a_test_send(core: PolicyWatch, tmp_path: Path) -> None:
    factory = InteractionFactory()
    async with running_bot(core, tmp_path) as (fake, adapter):
        sub = factory.command(
            "policywatch",
            "subscribe",
            {"watchlist": "ev-tariffs", "cadence": "daily", "min": "high", "only": "Section 301"},
        )
        assert "filters: min high, only 'Section 301'" in _text(await fake.interact(sub))
        listed = await fake.interact(factory.command("policywatch", "filters"))
        assert "ev-tariffs — min high, only 'Section 301'" in _text(listed)
        paused = await fake.interact(
            factory.command("policywatch", "pause", {"watchlist": "ev-tariffs", "days": 3})
        )
        assert "Paused ev-tariffs in this channel until" in _text(paused)
        subs = await fake.interact(factory.command("policywatch", "subscriptions"))
        assert "PAUSED until" in _text(subs)
        offered = await fake.interact(
            factory.command("policywatch", "resume", {"watchlist": ""}, focused="watchlist"),
            until=callback_to,
        )
        values = [c["value"] for c in offered.body["data"]["choices"]]
        assert values[0] == "all" and "ev-tariffs" in values
        resumed = await fake.interact(factory.command("policywatch", "resume"))
        assert "Resumed all in this channel" in _text(resumed)

        test = await fake.interact(factory.command("policywatch", "digest-send-test"))
        assert test.body["flags"] & EPHEMERAL and "Test digest on its way" in _text(test)
        report = await OutboxSender(
            core.store, {"discord": adapter}, Pacing(channel_interval=0)
        ).drain()
        assert report.sent == 1
        posted = await fake.wait_for(lambda r: r.path.endswith(f"/channels/{CHANNEL_A}/messages"))
        assert "TEST digest" in _text(posted)
        assert posted.body["allowed_mentions"] == {"parse": []}  # a digest pings nobody


async def test_admin_source_and_mention_subcommands(core: PolicyWatch, tmp_path: Path) -> None:
    factory = InteractionFactory()
    entry = AuditEntry(core.clock(), "discord", str(GUILD_A), "1", "source add", "seed", "ok")
    await core.store.add_chat_source(
        ChatSource("ustr-press", "https://ustr.example/feed.xml", added_by="1"), entry
    )
    async with running_bot(core, tmp_path) as (fake, _adapter):
        choices = await fake.interact(
            factory.command("policywatch-admin", "source-pause", {"name": "ustr"}, focused="name"),
            until=callback_to,
        )
        assert [c["value"] for c in choices.body["data"]["choices"]] == ["ustr-press"]
        refused = await fake.interact(
            factory.command("policywatch-admin", "source-pause", {"name": "ustr-press"}),
            until=callback_to,
        )
        assert "Manage Server" in str(refused.body)
        paused = await fake.interact(
            factory.command(
                "policywatch-admin",
                "source-pause",
                {"name": "ustr-press"},
                permissions=ADMIN_PERMISSIONS,
            )
        )
        assert "Paused source ustr-press" in _text(paused)
        [source] = await core.store.chat_sources()
        assert source.paused
        private = await fake.interact(
            factory.command(
                "policywatch-admin",
                "source-add",
                {"url": "http://127.0.0.1:9/feed.xml", "name": "local"},
                permissions=ADMIN_PERMISSIONS,
            )
        )
        assert "Refused http://127.0.0.1:9/feed.xml" in _text(private)

        mention = _with_role(
            factory.command(
                "policywatch-admin",
                "alert-mention",
                {"role": str(ROLE_ID)},
                permissions=ADMIN_PERMISSIONS,
            )
        )
        done = await fake.interact(mention)
        # Replies show the role without pinging it (embeds neutralise mentions).
        assert f"will mention <@\\u200b&{ROLE_ID}>" in _text(done)
        channel = ("discord", str(GUILD_A), str(CHANNEL_A))
        assert await core.store.channel_mention(channel) == f"<@&{ROLE_ID}>"
        off = await fake.interact(
            factory.command("policywatch-admin", "alert-mention-off", permissions=ADMIN_PERMISSIONS)
        )
        assert "mention nobody now" in _text(off)
        assert await core.store.channel_mention(channel) is None


async def test_a_high_priority_alert_pings_exactly_its_role(
    core: PolicyWatch, tmp_path: Path
) -> None:
    async with running_bot(core, tmp_path) as (fake, adapter):
        alert = Reply(
            title="Alert · EV tariffs",
            items=(ReplyItem(title="US raises tariffs on Chinese EVs", priority=2),),
            mention=f"<@&{ROLE_ID}>",
        )
        await adapter.deliver(Delivery(41, str(GUILD_A), str(CHANNEL_A), alert))
        posted = await fake.wait_for(lambda r: r.path.endswith(f"/channels/{CHANNEL_A}/messages"))
        assert posted.body["content"] == f"<@&{ROLE_ID}>"
        assert posted.body["allowed_mentions"] == {"parse": [], "roles": [ROLE_ID]}
        # Anything that is not a role (a forged payload) pings nobody and is not posted as text.
        forged = Reply(title="Alert", items=alert.items, mention="@everyone")
        await adapter.deliver(Delivery(42, str(GUILD_A), str(CHANNEL_A), forged))
        second = await fake.wait_for(
            lambda r: r.path.endswith("/messages") and r.body.get("nonce") == "pw42"
        )
        assert "content" not in second.body or not second.body["content"]
        assert second.body["allowed_mentions"] == {"parse": []}
