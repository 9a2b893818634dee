"""The real discord.py client, the fake Discord and the real core with the sample data.

These are the end-to-end checks of issue 6: what a Discord user types and sees.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.tests.fake_discord import (
    ADMIN_PERMISSIONS,
    CHANNEL_A,
    CHANNEL_B,
    EPHEMERAL,
    GUILD_A,
    GUILD_B,
    USER_ID,
    InteractionFactory,
    assert_no_pings,
    callback_to,
    running_bot,
)
from bot.config import Settings
from bot.core import PolicyWatch


async def _open_core(tmp_path: Path, admins: frozenset[str] = frozenset()) -> PolicyWatch:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/t.db", admins=admins)
    core = await PolicyWatch.open(settings)
    await core.load_sample()
    return core


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[PolicyWatch]:
    opened = await _open_core(tmp_path)
    yield opened
    await opened.close()


def _titles(body: dict[str, Any]) -> list[str]:
    return [str(e.get("title", "")) for e in body["embeds"]]


async def test_company_ford_shows_ford_items_not_doug_ford(
    core: PolicyWatch, tmp_path: Path
) -> None:
    async with running_bot(core, tmp_path, guild_id=GUILD_A) as (fake, _adapter):
        data = InteractionFactory().command(
            "policywatch", "company", {"name": "ford"}, command_guild=GUILD_A
        )
        followup = await fake.interact(data)
        titles = _titles(followup.body)
        assert titles[0].startswith("Ford Motor Company")
        items = followup.body["embeds"][1:]
        assert 1 <= len(items) <= 5
        assert all("ford" in e["title"].lower() for e in items)
        assert not any("doug ford" in str(e).lower() for e in followup.body["embeds"])
        assert all(e["url"].startswith("https://") for e in items)
        assert all("Thread: `story s" in e["description"] for e in items)
        assert not any("Why:" in e["description"] for e in items)
        assert len(followup.body["embeds"]) <= 10
        assert followup.body["components"][0]["components"][0]["label"] == "Next"
        assert_no_pings(fake)


async def test_autocomplete_name_fo_offers_ford(core: PolicyWatch, tmp_path: Path) -> None:
    async with running_bot(core, tmp_path) as (fake, _adapter):
        data = InteractionFactory().command(
            "policywatch", "company", {"name": "fo"}, focused="name"
        )
        rec = await fake.interact(data, until=callback_to)
        assert rec.body["type"] == 8
        choices = rec.body["data"]["choices"]
        assert len(choices) <= 25
        assert "ford" in [c["value"] for c in choices]


async def test_autocomplete_watchlist(core: PolicyWatch, tmp_path: Path) -> None:
    async with running_bot(core, tmp_path) as (fake, _adapter):
        data = InteractionFactory().command(
            "policywatch-admin", "watchlist-add", {"watchlist": "ev"}, focused="watchlist"
        )
        rec = await fake.interact(data, until=callback_to)
        values = [c["value"] for c in rec.body["data"]["choices"]]
        assert "ev-tariffs" in values


async def test_admin_needs_manage_server(core: PolicyWatch, tmp_path: Path) -> None:
    factory = InteractionFactory()
    options = {"watchlist": "ev-tariffs", "term": "section 232"}
    async with running_bot(core, tmp_path) as (fake, _adapter):
        refused = factory.command("policywatch-admin", "watchlist-add", options)
        rec = await fake.interact(refused, until=callback_to)
        assert rec.body["type"] == 4 and rec.body["data"]["flags"] & EPHEMERAL

        allowed = factory.command(
            "policywatch-admin",
            "watchlist-add",
            options,
            permissions=ADMIN_PERMISSIONS,
        )
        followup = await fake.interact(allowed)
        assert followup.body["flags"] & EPHEMERAL  # admin answers stay private
        assert "section 232" in str(followup.body["embeds"]).lower()

        audit = factory.command("policywatch-admin", "audit", permissions=ADMIN_PERMISSIONS)
        audit_reply = await fake.interact(audit)
        assert "section 232" in str(audit_reply.body["embeds"]).lower()
        assert_no_pings(fake)


async def test_policywatch_admins_setting_also_grants(tmp_path: Path) -> None:
    opened = await _open_core(tmp_path, admins=frozenset({str(USER_ID)}))
    try:
        async with running_bot(opened, tmp_path) as (fake, _adapter):
            data = InteractionFactory().command(
                "policywatch-admin",
                "watchlist-add",
                {"watchlist": "ev-tariffs", "term": "section 232"},
            )
            followup = await fake.interact(data)
            assert "only" not in _titles(followup.body)[0].lower()
    finally:
        await opened.close()


async def test_subscriptions_are_isolated_per_guild(core: PolicyWatch, tmp_path: Path) -> None:
    factory = InteractionFactory()
    async with running_bot(core, tmp_path) as (fake, _adapter):
        subscribe = factory.command(
            "policywatch",
            "subscribe",
            {
                "watchlist": "ev-tariffs",
                "cadence": "daily",
                "time": "09:00",
                "timezone": "Europe/Berlin",
            },
        )
        done = await fake.interact(subscribe)
        assert "ev-tariffs" in str(done.body["embeds"])

        here = factory.command("policywatch", "subscriptions")
        assert "Europe/Berlin" in str((await fake.interact(here)).body["embeds"])

        # Same channel id, other guild; and another channel of the other guild.
        for channel in (CHANNEL_A, CHANNEL_B):
            elsewhere = factory.command(
                "policywatch", "subscriptions", guild_id=GUILD_B, channel_id=channel
            )
            body = (await fake.interact(elsewhere)).body
            assert "Europe/Berlin" not in str(body["embeds"])  # the subscription's schedule


async def test_action_button_from_real_reply(core: PolicyWatch, tmp_path: Path) -> None:
    factory = InteractionFactory()
    async with running_bot(core, tmp_path) as (fake, _adapter):
        subscribe = factory.command("policywatch", "subscribe", {"watchlist": "ev-tariffs"})
        done = await fake.interact(subscribe)
        buttons = [b for row in done.body.get("components", []) for b in row["components"]]
        assert buttons, "subscribe reply should offer an action"
        click = factory.click(buttons[0]["custom_id"], fake.message_from(done.body))
        answer = await fake.interact(click)
        assert answer.body["embeds"]
        assert_no_pings(fake)
