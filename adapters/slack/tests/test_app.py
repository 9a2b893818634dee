"""The real bolt app over HTTP, with signed requests, against the fake Slack Web API."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest

from adapters.slack import SlackAdapter
from adapters.slack.tests.conftest import ADMIN, Poster
from adapters.slack.tests.fake_slack import (
    BOT_USER_ID,
    FakeSlack,
    action_body,
    command_body,
    event_body,
)
from bot.caller import Caller
from bot.config import Settings
from bot.core import PolicyWatch
from bot.delivery import Delivery, PermanentDeliveryError, RetryLater
from bot.replies import Reply, ReplyItem


def _all_text(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or []) + str(message.get("text"))


def _event(
    text: str, *, kind: str = "app_mention", channel: str = "C9", **extra: str
) -> dict[str, Any]:
    """An Events API event from user U1 in team T1; a test names only what it is about."""
    return {
        "type": kind,
        "user": "U1",
        "text": text,
        "ts": "1700000001.000200",
        "channel": channel,
        "team": "T1",
        **extra,
    }


async def _command(fake: FakeSlack, post: Poster, text: str, **kw: Any) -> dict[str, Any]:
    """Send a slash command and return what the app posted to its response_url."""
    before = len(fake.of("response_url"))
    status, _ = await post(command_body(text, response_url=fake.response_url(), **kw))
    assert status == 200
    calls = await fake.wait_calls("response_url", before + 1)
    return calls[before].args


async def test_slash_command_lists_ford_items_not_doug_ford(fake: FakeSlack, post: Poster) -> None:
    reply = await _command(fake, post, "company ford")
    text = _all_text(reply)
    assert reply["response_type"] == "in_channel"
    assert reply["blocks"][0]["type"] == "header"
    stories = [b for b in reply["blocks"] if b["type"] == "section" and "accessory" in b]
    assert stories and all(
        b["accessory"]["options"][0]["value"].startswith("story s") for b in stories
    )
    assert "Doug Ford" not in text and "why:" not in text
    assert reply["text"]  # plain fallback present


async def test_a_response_url_off_slack_is_not_followed(fake: FakeSlack, post: Poster) -> None:
    """A signed payload whose response_url is not Slack's (here: another local
    server) gets its answer posted through the Web API instead."""
    async with FakeSlack() as elsewhere:
        status, _ = await post(command_body("company ford", response_url=elsewhere.response_url()))
        assert status == 200
        [call] = await fake.wait_calls("chat.postMessage")
        assert call.args["channel"] == "C1" and "Ford" in _all_text(call.args)
        assert not elsewhere.of("response_url") and not fake.of("response_url")


async def test_ack_comes_before_the_slow_work(
    fake: FakeSlack, settings: Settings, http: aiohttp.ClientSession, core: PolicyWatch
) -> None:
    release = asyncio.Event()

    class Blocked:
        """A core that cannot answer until the test lets it: the ack must not wait."""

        async def handle(self, caller: Any, text: str) -> Reply:
            await release.wait()
            return await core.handle(caller, text)

    slack = SlackAdapter(Blocked(), settings, host="127.0.0.1", port=0)  # type: ignore[arg-type]
    await slack.open()
    try:
        status, _ = await asyncio.wait_for(
            Poster(http, slack.port)(
                command_body("company ford", response_url=fake.response_url())
            ),
            timeout=2.5,
        )
        assert status == 200
        assert not fake.of("response_url")
        release.set()
        [reply] = await fake.wait_calls("response_url")
        assert "Ford" in _all_text(reply.args)
    finally:
        await slack.stop()


async def test_mention_in_thread_answers_in_thread(fake: FakeSlack, post: Poster) -> None:
    event = _event(f"<@{BOT_USER_ID}> company ford", thread_ts="1700000000.000100")
    status, _ = await post(event_body(event))
    assert status == 200
    [call] = await fake.wait_calls("chat.postMessage")
    assert call.args["channel"] == "C9"
    assert call.args["thread_ts"] == "1700000000.000100"
    assert "Ford" in _all_text(call.args) and "Doug Ford" not in _all_text(call.args)
    assert call.args["_auth"] == "Bearer xoxb-test"


async def test_mention_outside_thread_and_error_is_ephemeral(fake: FakeSlack, post: Poster) -> None:
    event = _event(f"<@{BOT_USER_ID}> frobnicate")
    await post(event_body(event))
    [call] = await fake.wait_calls("chat.postEphemeral")
    assert call.args["user"] == "U1" and call.args["channel"] == "C9"
    assert "thread_ts" not in call.args or call.args["thread_ts"] is None
    assert not fake.of("chat.postMessage")


async def test_direct_message_runs_the_command(fake: FakeSlack, post: Poster) -> None:
    event = _event("company ford", kind="message", channel="D1", channel_type="im")
    await post(event_body(event))
    [call] = await fake.wait_calls("chat.postMessage")
    assert call.args["channel"] == "D1" and "Ford" in _all_text(call.args)
    # the bot's own DM reply (bot_id set) must not loop back into a command
    own = {**event, "bot_id": "BBOT", "user": BOT_USER_ID, "text": "company ford", "ts": "2.0"}
    await post(event_body(own, event_id="Ev2"))
    await asyncio.sleep(0.2)
    assert len(fake.of("chat.postMessage")) == 1


async def test_button_click_runs_its_command(fake: FakeSlack, post: Poster) -> None:
    status, _ = await post(action_body("company ford", response_url=fake.response_url("b")))
    assert status == 200
    [call] = await fake.wait_calls("response_url")
    assert call.args["_name"] == "b"
    assert call.args["replace_original"] is False
    assert "Ford" in _all_text(call.args)


async def test_a_storys_menu_opens_its_thread(
    fake: FakeSlack, post: Poster, core: PolicyWatch
) -> None:
    ford = await core.handle(Caller("slack", "T1", "C1", "U1"), "company ford")
    story = ford.items[0].story_id
    body = action_body(
        f"story {story}", response_url=fake.response_url("m"), action_id="pw_action:31", menu=True
    )
    status, _ = await post(body)
    assert status == 200
    [call] = await fake.wait_calls("response_url")
    assert call.args["blocks"][0]["text"]["text"].startswith(f"Story {story}")


async def test_more_button_replaces_with_next_page(
    fake: FakeSlack, settings: Settings, http: aiohttp.ClientSession, core: PolicyWatch
) -> None:
    slack = SlackAdapter(core, settings, host="127.0.0.1", port=0, per_page=2)
    await slack.open()
    try:
        send = Poster(http, slack.port)
        await send(command_body("company ford", response_url=fake.response_url()))
        [first] = await fake.wait_calls("response_url")
        more = [
            e
            for b in first.args["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == "pw_more"
        ]
        assert more and more[0]["value"] == "page:2:company ford"
        await send(
            action_body(more[0]["value"], action_id="pw_more", response_url=fake.response_url())
        )
        calls = await fake.wait_calls("response_url", 2)
        second = calls[1].args
        assert second["replace_original"] is True
        assert "(2/" in second["blocks"][0]["text"]["text"]
        first_titles = {b["text"]["text"] for b in first.args["blocks"] if b["type"] == "section"}
        second_titles = {b["text"]["text"] for b in second["blocks"] if b["type"] == "section"}
        assert not first_titles & second_titles
    finally:
        await slack.stop()


@pytest.mark.parametrize(
    "signing",
    [
        {"secret": "wrong-secret"},
        {"headers": {}},
        # Only ever older by the time it runs: bolt refuses anything past 5 minutes.
        {"timestamp": int(time.time()) - 6 * 60},
    ],
    ids=["bad-signature", "unsigned", "stale-timestamp"],
)
async def test_badly_signed_request_is_refused(
    fake: FakeSlack, post: Poster, signing: dict[str, Any]
) -> None:
    body = command_body("company ford", response_url=fake.response_url())
    status, _ = await post(body, **signing)
    assert status == 401
    await asyncio.sleep(0.2)
    assert fake.calls == []


async def test_non_admin_is_refused_admin_accepted(fake: FakeSlack, post: Poster) -> None:
    refused = await _command(fake, post, "watchlist add ev-tariffs foo", user="U1")
    assert refused["response_type"] == "ephemeral"
    fake.add_user("UWSADMIN", admin=True)
    accepted = await _command(fake, post, "watchlist add ev-tariffs foo", user="UWSADMIN")
    assert accepted["response_type"] == "in_channel", accepted
    owner = await _command(fake, post, "watchlist add ev-tariffs bar", user=ADMIN)
    assert owner["response_type"] == "in_channel", owner
    info = [c.args["user"] for c in fake.of("users.info")]
    assert info.count("U1") == 1 and info.count("UWSADMIN") == 1


async def test_teams_are_isolated(fake: FakeSlack, post: Poster) -> None:
    subscribed = await _command(fake, post, "subscribe ev-tariffs daily", team="TA", channel="C1")
    assert subscribed["response_type"] == "in_channel", subscribed
    mine = await _command(fake, post, "subscriptions", team="TA", channel="C1")
    assert "ev-tariffs — daily" in _all_text(mine)
    # same channel id, other workspace: nothing leaks across
    other = await _command(fake, post, "subscriptions", team="TB", channel="C1")
    assert "ev-tariffs — daily" not in _all_text(other)
    assert "no subscriptions" in other["blocks"][0]["text"]["text"]


def _delivery(outbox_id: int = 7, channel: str = "C5") -> Delivery:
    reply = Reply(
        title="Daily digest",
        sections=(
            ("EV tariffs", (ReplyItem(title="<!channel> Tariff news", url="https://x.example/1"),)),
        ),
    )
    return Delivery(outbox_id=outbox_id, workspace="T1", channel=channel, reply=reply)


async def test_deliver_posts_with_metadata_and_is_found_again(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    delivery = _delivery()
    assert await adapter.already_delivered(delivery) is None
    ts = await adapter.deliver(delivery)
    [call] = fake.of("chat.postMessage")
    assert call.args["metadata"] == {
        "event_type": "policywatch_digest",
        "event_payload": {"outbox_id": 7, "part": 0},
    }
    assert "<!channel>" not in _all_text(call.args)
    assert await adapter.already_delivered(delivery) == ts
    assert await adapter.already_delivered(_delivery(outbox_id=8)) is None


async def test_deliver_retries_429_after_retry_after(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    fake.fail("chat.postMessage", "ratelimited", status=429, retry_after=1)
    started = time.monotonic()
    ts = await adapter.deliver(_delivery())
    assert ts and time.monotonic() - started >= 1.0
    assert len(fake.of("chat.postMessage")) == 2


async def test_deliver_long_retry_after_becomes_retry_later(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    fake.fail("chat.postMessage", "ratelimited", status=429, retry_after=120)
    with pytest.raises(RetryLater) as caught:
        await adapter.deliver(_delivery())
    assert caught.value.after_seconds == 120


@pytest.mark.parametrize(
    "error", ["channel_not_found", "not_in_channel", "is_archived", "invalid_auth"]
)
async def test_deliver_permanent_errors(fake: FakeSlack, adapter: SlackAdapter, error: str) -> None:
    fake.fail("chat.postMessage", error)
    with pytest.raises(PermanentDeliveryError) as caught:
        await adapter.deliver(_delivery())
    assert str(caught.value) == error
    assert "xoxb" not in repr(caught.value)


async def test_deliver_falls_back_to_text_when_blocks_refused(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    fake.fail("chat.postMessage", "invalid_blocks")
    assert await adapter.deliver(_delivery())
    first, second = fake.of("chat.postMessage")
    assert first.args.get("blocks") and not second.args.get("blocks")
    assert second.args["metadata"]["event_payload"] == {"outbox_id": 7, "part": 0}


async def test_event_retry_is_answered_once(fake: FakeSlack, post: Poster) -> None:
    event = _event(f"<@{BOT_USER_ID}> watchlists")
    await post(event_body(event, event_id="EvSame"))
    await fake.wait_calls("chat.postMessage")
    status, _ = await post(event_body(event, event_id="EvSame"))
    assert status == 200
    await asyncio.sleep(0.2)
    assert len(fake.of("chat.postMessage")) == 1


async def test_event_retry_to_another_replica_is_answered_once(
    fake: FakeSlack, post: Poster, settings: Settings, http: aiohttp.ClientSession
) -> None:
    """Behind a load balancer Slack's retry can reach another replica: the
    record of handled events is in the shared database, not in one process."""
    event = _event(f"<@{BOT_USER_ID}> watchlists")
    await post(event_body(event, event_id="EvTwice"))
    await fake.wait_calls("chat.postMessage")
    other_core = await PolicyWatch.open(settings)
    replica = SlackAdapter(other_core, settings, host="127.0.0.1", port=0)
    await replica.open()
    try:
        status, _ = await Poster(http, replica.port)(event_body(event, event_id="EvTwice"))
        assert status == 200
        await asyncio.sleep(0.3)
        assert len(fake.of("chat.postMessage")) == 1
        await Poster(http, replica.port)(event_body(event, event_id="EvOther"))
        await fake.wait_calls("chat.postMessage", 2)  # a new event is answered there
    finally:
        await replica.stop()
        await other_core.close()


async def test_users_info_failure_means_not_admin(fake: FakeSlack, post: Poster) -> None:
    fake.add_user("UWSADMIN", admin=True)
    fake.fail("users.info", "user_not_found")
    refused = await _command(fake, post, "watchlist add ev-tariffs foo", user="UWSADMIN")
    assert refused["response_type"] == "ephemeral"
    # the failure is not cached: the next command looks the user up again
    accepted = await _command(fake, post, "watchlist add ev-tariffs foo", user="UWSADMIN")
    assert accepted["response_type"] == "in_channel"


async def test_secrets_never_logged(
    fake: FakeSlack, post: Poster, adapter: SlackAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    await _command(fake, post, "company ford")
    fake.fail("chat.postMessage", "invalid_auth")
    with pytest.raises(PermanentDeliveryError):
        await adapter.deliver(_delivery())
    await post(command_body("help", response_url=fake.response_url()), secret="wrong")
    assert caplog.records
    assert "xoxb-test" not in caplog.text
    assert "test-signing-secret" not in caplog.text


async def test_socket_mode_slash_command(
    fake: FakeSlack, settings: Settings, core: PolicyWatch
) -> None:
    socket_settings = dataclasses.replace(
        settings, slack_app_token="xapp-test", slack_signing_secret=None
    )
    slack = SlackAdapter(core, socket_settings, host="127.0.0.1", port=0)
    await slack.open()
    try:
        [opened] = fake.of("apps.connections.open")
        assert opened.args["_auth"] == "Bearer xapp-test"
        body, _ = command_body("company ford", response_url=fake.response_url("s"))
        await fake.send_envelope("slash_commands", dict(parse_qsl(body)), "env-1")
        [ack] = await fake.wait_calls("socket.ack")
        assert ack.args["envelope_id"] == "env-1"
        [reply] = await fake.wait_calls("response_url")
        assert "Ford" in _all_text(reply.args)
    finally:
        await slack.stop()
