"""The real discord.py client against the fake Discord, with a stub core.

The stub core returns canned replies, so these tests pin down the adapter's own
behaviour: what goes over the wire, ephemerality, buttons, RESUME, delivery.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.app import delivery_nonce
from adapters.discord.tests.fake_discord import (
    ADMIN_PERMISSIONS,
    APP_ID,
    CHANNEL_A,
    CHANNEL_B,
    EPHEMERAL,
    GUILD_A,
    MANAGE_GUILD,
    USER_ID,
    FakeDiscord,
    InteractionFactory,
    Recorded,
    StubCore,
    assert_no_pings,
    callback_to,
    running_bot,
)
from bot.delivery import Delivery, PermanentDeliveryError, RetryLater
from bot.replies import Action, Reply, ReplyItem


def _items(count: int, title: str = "Ford item") -> tuple[ReplyItem, ...]:
    return tuple(
        ReplyItem(
            title=f"{title} {n}",
            url=f"https://example.com/{n}",
            source="Reuters",
            published=datetime(2026, 1, n % 28 + 1, tzinfo=UTC),
            why='matched "Ford" in title',
            priority=n % 4,
        )
        for n in range(count)
    )


async def test_slash_command_becomes_chat_text_and_answers_with_embeds(tmp_path: Path) -> None:
    core = StubCore({"company ford": Reply(title="Ford, last 7 days", items=_items(2))})
    async with running_bot(core, tmp_path, guild_id=GUILD_A) as (fake, _adapter):
        sync = next(r for r in fake.requests if r.method == "PUT")
        assert sync.path == f"/api/v10/applications/{APP_ID}/guilds/{GUILD_A}/commands"
        admin = next(c for c in sync.body if c["name"] == "policywatch-admin")
        assert int(admin["default_member_permissions"]) == MANAGE_GUILD

        data = InteractionFactory().command(
            "policywatch", "company", {"name": "ford", "days": 7}, command_guild=GUILD_A
        )
        followup = await fake.interact(data)

        first = await fake.wait_for(callback_to(data))
        assert first.body == {"type": 5}  # deferred first, public
        caller, text = core.calls[0]
        assert text == "company ford 7d"
        assert (caller.platform, caller.workspace, caller.channel, caller.user) == (
            "discord",
            str(GUILD_A),
            str(CHANNEL_A),
            str(USER_ID),
        )
        assert caller.platform_admin is False
        embeds = followup.body["embeds"]
        assert embeds[0]["title"] == "Ford, last 7 days"
        assert [e["title"] for e in embeds[1:]] == ["Ford item 0", "Ford item 1"]
        assert embeds[1]["url"] == "https://example.com/0"
        assert "Reuters" in embeds[1]["description"]
        assert not int(followup.body.get("flags") or 0) & EPHEMERAL
        assert_no_pings(fake)


async def test_autocomplete_answers_type_8_with_at_most_25_choices(tmp_path: Path) -> None:
    async with running_bot(StubCore(), tmp_path) as (fake, _adapter):
        data = InteractionFactory().command(
            "policywatch", "company", {"name": "name-"}, focused="name"
        )
        rec = await fake.interact(data, until=callback_to)
        assert rec.body["type"] == 8
        choices = rec.body["data"]["choices"]
        assert 0 < len(choices) <= 25
        assert choices[0] == {"name": "NAME-00", "value": "name-00"}


async def test_subscribe_autocomplete_offers_all(tmp_path: Path) -> None:
    async with running_bot(StubCore(), tmp_path) as (fake, _adapter):
        data = InteractionFactory().command(
            "policywatch", "subscribe", {"watchlist": "a"}, focused="watchlist"
        )
        rec = await fake.interact(data, until=callback_to)
        assert rec.body["data"]["choices"] == [{"name": "all", "value": "all"}]


async def test_admin_subcommand_is_rechecked_on_every_call(tmp_path: Path) -> None:
    core = StubCore({"watchlist add": Reply(title="Added", ephemeral=True)})
    factory = InteractionFactory()
    options = {"watchlist": "ev-tariffs", "term": "section  232"}
    async with running_bot(core, tmp_path) as (fake, _adapter):
        refused = factory.command("policywatch-admin", "watchlist-add", options)
        rec = await fake.interact(refused, until=callback_to)
        assert rec.body["type"] == 4
        assert rec.body["data"]["flags"] & EPHEMERAL
        assert "Manage Server" in rec.body["data"]["embeds"][0]["title"]
        assert core.calls == []

        allowed = factory.command(
            "policywatch-admin",
            "watchlist-add",
            options,
            permissions=ADMIN_PERMISSIONS,
        )
        followup = await fake.interact(allowed)
        defer = await fake.wait_for(callback_to(allowed))
        assert defer.body == {"type": 5, "data": {"flags": EPHEMERAL}}
        caller, text = core.calls[0]
        assert text == 'watchlist add ev-tariffs "section 232"'
        assert caller.platform_admin is True
        assert followup.body["embeds"][0]["title"] == "Added"


async def test_feed_text_cannot_ping(tmp_path: Path) -> None:
    hostile = ReplyItem(
        title="@everyone look <@&123> and <@&123456789012345678>",
        source="@here **bold** news",
    )
    core = StubCore({"search": Reply(title="Results @everyone", items=(hostile,))})
    async with running_bot(core, tmp_path) as (fake, _adapter):
        data = InteractionFactory().command("policywatch", "search", {"query": "x"})
        followup = await fake.interact(data)
        body = str(followup.body["embeds"])
        assert "@everyone" not in body.replace("@\u200beveryone", "")
        assert "<@&123>" not in body
        assert "<@&123456789012345678>" not in body
        assert "@here" not in body.replace("@\u200bhere", "")
        assert "\\*\\*bold\\*\\*" in followup.body["embeds"][1]["description"]
        assert_no_pings(fake)


async def test_error_replies_are_ephemeral(tmp_path: Path) -> None:
    async with running_bot(StubCore(), tmp_path) as (fake, _adapter):
        data = InteractionFactory().command("policywatch", "company", {"name": "nobody"})
        followup = await fake.interact(data)
        assert followup.body["flags"] & EPHEMERAL
        # The public "thinking" message was removed so the error is not shown to all.
        deleted = [r for r in fake.requests if r.method == "DELETE"]
        assert deleted and deleted[0].path.endswith("/messages/@original")


async def test_direct_message_caller_workspace_is_dm(tmp_path: Path) -> None:
    core = StubCore({"help": Reply(title="Help", ephemeral=True)})
    async with running_bot(core, tmp_path) as (fake, _adapter):
        data = InteractionFactory().command("policywatch", "help", guild_id=None)
        await fake.interact(data)
        caller, text = core.calls[0]
        assert (text, caller.workspace, caller.platform_admin) == ("help", "dm", False)


async def test_pages_and_next_button_rerun_as_clicker(tmp_path: Path) -> None:
    core = StubCore({"topic ev-tariffs": Reply(title="EV tariffs", items=_items(12))})
    factory = InteractionFactory()
    async with running_bot(core, tmp_path) as (fake, _adapter):
        data = factory.command("policywatch", "topic", {"watchlist": "ev-tariffs"})
        followup = await fake.interact(data)
        assert len(followup.body["embeds"]) == 6  # header + 5 items
        assert followup.body["embeds"][-1]["footer"]["text"] == "Page 1/3"
        buttons = followup.body["components"][0]["components"]
        assert [b["label"] for b in buttons] == ["Next"]
        assert buttons[0]["custom_id"] == "pw:p:1:topic ev-tariffs"

        other_user = USER_ID + 1
        click = factory.click(
            buttons[0]["custom_id"], fake.message_from(followup.body), user_id=other_user
        )
        await fake.inject("INTERACTION_CREATE", click)
        edit = await fake.wait_for(lambda r: r.method == "PATCH" and click["token"] in r.path)
        assert (await fake.wait_for(callback_to(click))).body == {"type": 6}
        assert edit.path.endswith("/messages/@original")
        assert [e["title"] for e in edit.body["embeds"]] == [f"Ford item {n}" for n in range(5, 10)]
        assert edit.body["embeds"][-1]["footer"]["text"] == "Page 2/3"
        labels = [b["label"] for b in edit.body["components"][0]["components"]]
        assert labels == ["Previous", "Next"]
        assert core.calls[-1][0].user == str(other_user)
        assert_no_pings(fake)


async def test_action_button_runs_command_as_clicking_user(tmp_path: Path) -> None:
    action = Action("Subscribe daily", "subscribe ev-tariffs daily", style="primary")
    core = StubCore(
        {
            "topic ev-tariffs": Reply(title="EV tariffs", items=_items(1), actions=(action,)),
            "subscribe ev-tariffs daily": Reply(title="Subscribed"),
        }
    )
    factory = InteractionFactory()
    async with running_bot(core, tmp_path) as (fake, _adapter):
        data = factory.command("policywatch", "topic", {"watchlist": "ev-tariffs"})
        followup = await fake.interact(data)
        button = followup.body["components"][0]["components"][0]
        assert (button["label"], button["style"]) == ("Subscribe daily", 1)

        clicker = USER_ID + 7
        click = factory.click(
            button["custom_id"],
            fake.message_from(followup.body),
            user_id=clicker,
            permissions=ADMIN_PERMISSIONS,
        )
        answer = await fake.interact(click)
        assert answer.body["embeds"][0]["title"] == "Subscribed"
        caller, text = core.calls[-1]
        assert (text, caller.user, caller.platform_admin) == (
            "subscribe ev-tariffs daily",
            str(clicker),
            True,
        )
        assert_no_pings(fake)


async def test_gateway_drop_resumes_and_still_answers(tmp_path: Path) -> None:
    core = StubCore({"sources": Reply(title="Sources: all healthy")})
    factory = InteractionFactory()
    async with running_bot(core, tmp_path) as (fake, _adapter):
        assert fake.gateway.identifies == 1
        await fake.drop_gateway(4000)
        await fake.resumed.wait()
        assert fake.gateway.identifies == 1
        assert fake.gateway.resumes[0]["session_id"] == fake.session_id
        assert fake.gateway.resumes[0]["token"] == "test-token"
        assert fake.gateway.connects == ["/gateway", "/resume"]  # resume_gateway_url honoured

        data = factory.command("policywatch", "sources")
        followup = await fake.interact(data)
        assert followup.body["embeds"][0]["title"] == "Sources: all healthy"


async def test_plain_close_also_resumes(tmp_path: Path) -> None:
    core = StubCore({"sources": Reply(title="ok")})
    async with running_bot(core, tmp_path) as (fake, _adapter):
        await fake.drop_gateway(1000)
        await fake.resumed.wait()
        data = InteractionFactory().command("policywatch", "sources")
        await fake.interact(data)


def _long_digest(title: str = "Daily digest, Tue 8 Dec") -> Reply:
    """A digest too long for one Discord message (about 90 characters a story)."""
    return Reply(
        title=title,
        sections=(("Trade", _items(90, "Ford weighs a licence for CATL battery cells")),),
        actions=(Action("Unsubscribe", "unsubscribe trade", style="danger"),),
    )


def _posts(fake: Any) -> list[Any]:
    return [
        r
        for r in fake.requests
        if r.path == f"/api/v10/channels/{CHANNEL_B}/messages" and r.method == "POST"
    ]


async def test_deliver_uses_a_nonce_per_part_and_is_idempotent(tmp_path: Path) -> None:
    digest = _long_digest()
    async with running_bot(StubCore(), tmp_path) as (fake, adapter):
        assert adapter.part_count(digest) == 2
        ids = []
        for part in (0, 1, 0, 1):
            delivery = Delivery(42, str(GUILD_A), str(CHANNEL_B), digest, part)
            ids.append(await adapter.deliver(delivery))
        assert ids[:2] == ids[2:] and ids[0] != ids[1]  # Discord hands the posted part back
        posts = _posts(fake)
        assert [p.body["nonce"] for p in posts] == ["pw42", "pw42p1", "pw42", "pw42p1"]
        assert all(p.body["enforce_nonce"] is True for p in posts)
        assert posts[0].body["embeds"][1]["author"]["name"] == "Trade"
        assert posts[1].body["embeds"][0]["author"]["name"] == "Trade (continued)"
        assert not posts[0].body.get("components")  # buttons once, under the last part
        assert (
            posts[1].body["components"][0]["components"][0]["custom_id"] == "pw:a:unsubscribe trade"
        )
        assert_no_pings(fake)
        assert len(delivery_nonce(10**20, 99)) <= 25


async def test_a_part_is_found_in_history_by_its_content_not_an_id(tmp_path: Path) -> None:
    digest = _long_digest()
    async with running_bot(StubCore(), tmp_path) as (fake, adapter):
        parts = [Delivery(42, str(GUILD_A), str(CHANNEL_B), digest, n) for n in (0, 1)]
        assert await adapter.already_delivered(parts[0]) is None  # nothing sent yet
        first = await adapter.deliver(parts[0])
        fake.forget_nonces()  # minutes later: Discord would post a resend again
        assert await adapter.already_delivered(parts[0]) == first
        assert await adapter.already_delivered(parts[1]) is None  # cut short: part 2 is missing
        second = await adapter.deliver(parts[1])
        assert await adapter.already_delivered(parts[1]) == second
        # Another day's digest with other stories is not taken for this one.
        other = Delivery(43, str(GUILD_A), str(CHANNEL_B), _long_digest("Daily digest, Wed 9 Dec"))
        assert await adapter.already_delivered(other) is None
        # Nothing a reader sees carries the outbox id.
        embeds = [e for p in _posts(fake) for e in p.body["embeds"]]
        assert not any(e.get("footer") for e in embeds)
        assert "digest 42" not in json.dumps(embeds) and "Page " not in json.dumps(embeds)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [(403, 50001, None), (404, 10003, PermanentDeliveryError), (400, 50035, RetryLater)],
)
async def test_history_errors(
    tmp_path: Path, status: int, code: int, expected: type[Exception] | None
) -> None:
    async with running_bot(StubCore(), tmp_path) as (fake, adapter):
        fake.history_errors[CHANNEL_B] = (status, code, "nope")
        delivery = Delivery(1, str(GUILD_A), str(CHANNEL_B), Reply(title="Digest"))
        if expected is None:  # no Read Message History: cannot tell, so resend
            assert await adapter.already_delivered(delivery) is None
        else:
            with pytest.raises(expected) as info:
                await adapter.already_delivered(delivery)
            assert "test-token" not in str(info.value)


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (403, 50013, PermanentDeliveryError),
        (404, 10003, PermanentDeliveryError),
        (400, 50035, RetryLater),
    ],
)
async def test_deliver_errors(
    tmp_path: Path, status: int, code: int, error: type[Exception]
) -> None:
    async with running_bot(StubCore(), tmp_path) as (fake, adapter):
        fake.channel_errors[CHANNEL_B] = (status, code, "nope")
        delivery = Delivery(1, str(GUILD_A), str(CHANNEL_B), Reply(title="Digest"))
        with pytest.raises(error) as info:
            await adapter.deliver(delivery)
        assert "test-token" not in str(info.value)
        assert str(status) in str(info.value)


async def test_deliver_before_connect_asks_to_retry(tmp_path: Path) -> None:
    from adapters.discord import DiscordAdapter
    from bot.config import Settings

    adapter = DiscordAdapter(StubCore(), Settings(data_dir=tmp_path, discord_token="x"))  # type: ignore[arg-type]
    with pytest.raises(RetryLater):
        await adapter.deliver(Delivery(1, "1", "2", Reply(title="x")))


async def test_wrong_token_fails_start(tmp_path: Path) -> None:
    import discord

    from adapters.discord import DiscordAdapter
    from bot.config import Settings

    saved = discord.http.Route.BASE
    async with FakeDiscord() as fake:
        settings = Settings(data_dir=tmp_path, discord_token="bad", discord_api_base=fake.api_base)
        adapter = DiscordAdapter(StubCore(), settings)  # type: ignore[arg-type]
        try:
            with pytest.raises(discord.LoginFailure):
                await adapter.start()
        finally:
            discord.http.Route.BASE = saved


def _recorded_paths(requests: list[Recorded]) -> list[str]:
    return [f"{r.method} {r.path}" for r in requests]


async def test_startup_asks_gateway_url_from_rest(tmp_path: Path) -> None:
    async with running_bot(StubCore(), tmp_path) as (fake, _adapter):
        paths = _recorded_paths(fake.requests)
        assert "GET /api/v10/gateway/bot" in paths
        assert f"PUT /api/v10/applications/{APP_ID}/commands" in paths  # global without guild id
        assert fake.gateway.connects[0] == "/gateway"
