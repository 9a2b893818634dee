"""Issue 16 on Slack, through the real bolt app over signed HTTP and the fake
Web API: filters, pause and resume, a test send, sources and mentions."""

from __future__ import annotations

import json
from typing import Any

from adapters.slack import SlackAdapter
from adapters.slack.tests.conftest import ADMIN, Poster
from adapters.slack.tests.fake_slack import FakeSlack, command_body
from bot.core import PolicyWatch
from bot.delivery import Delivery
from bot.digests.sender import OutboxSender, Pacing
from bot.replies import Reply, ReplyItem

GROUP = "<!subteam^S0POLICY>"


def _all_text(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or []) + str(message.get("text"))


async def _command(fake: FakeSlack, post: Poster, text: str, user: str = "U1") -> dict[str, Any]:
    before = len(fake.of("response_url"))
    status, _ = await post(command_body(text, response_url=fake.response_url(), user=user))
    assert status == 200
    calls = await fake.wait_calls("response_url", before + 1)
    return calls[before].args


async def test_filters_pause_and_a_test_send(
    fake: FakeSlack, post: Poster, core: PolicyWatch, adapter: SlackAdapter
) -> None:
    subscribed = await _command(fake, post, 'subscribe ev-tariffs instant without "Doug Ford"')
    assert "filters: without 'Doug Ford'" in _all_text(subscribed)
    assert "ev-tariffs — without 'Doug Ford'" in _all_text(await _command(fake, post, "filters"))
    paused = await _command(fake, post, "pause for 7d")
    assert "Paused all in this channel until" in _all_text(paused)
    assert "PAUSED until" in _all_text(await _command(fake, post, "subscriptions"))
    assert "Resumed ev-tariffs" in _all_text(await _command(fake, post, "resume ev-tariffs"))
    refused = await _command(fake, post, "resume")
    assert refused["response_type"] == "ephemeral" and "Nothing is paused" in _all_text(refused)

    queued = await _command(fake, post, "digest send-test")
    assert queued["response_type"] == "ephemeral" and "Test digest" in _all_text(queued)
    report = await OutboxSender(core.store, {"slack": adapter}, Pacing(channel_interval=0)).drain()
    assert report.sent == 1
    [posted] = await fake.wait_calls("chat.postMessage")
    assert posted.args["channel"] == "C1"
    assert posted.args["blocks"][0]["text"]["text"].startswith("TEST digest")
    assert posted.args["metadata"]["event_payload"]["outbox_id"]  # the real digest path


async def test_sources_and_mentions_for_admins(
    fake: FakeSlack, post: Poster, core: PolicyWatch
) -> None:
    denied = await _command(fake, post, f"alert mention {GROUP}")
    assert "Only admins" in _all_text(denied)
    # Slack escapes the slash command's text: a typed @group arrives as <!subteam^ID|@name>.
    done = await _command(fake, post, "alert mention <!subteam^S0POLICY|@policy-team>", ADMIN)
    assert "will mention" in _all_text(done)
    assert await core.store.channel_mention(("slack", "T1", "C1")) == GROUP
    everyone = await _command(fake, post, "alert mention <!channel>", ADMIN)
    assert "never mentions everyone (@channel)" in _all_text(everyone)
    role = await _command(fake, post, "alert mention <@&611111111111111111>", ADMIN)
    assert "is not a Slack user group" in _all_text(role)
    # A URL arrives auto-linked (<http://…>); the SSRF guard refuses a loopback address.
    source = await _command(fake, post, "source add <http://127.0.0.1:9/feed.xml> local", ADMIN)
    assert "Refused http://127.0.0.1:9/feed.xml" in _all_text(source)
    assert await core.store.chat_sources() == []
    listed = await _command(fake, post, "sources")
    assert "sources" in _all_text(listed)


async def test_a_high_priority_alert_pings_the_group_and_nothing_else(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    item = ReplyItem(title="US raises tariffs on Chinese EVs", priority=2)
    await adapter.deliver(Delivery(51, "T1", "C5", Reply("Alert", items=(item,), mention=GROUP)))
    forged = Reply("Alert", items=(item,), mention="<!channel>")
    await adapter.deliver(Delivery(52, "T1", "C5", forged))
    first, second = await fake.wait_calls("chat.postMessage", 2)
    assert first.args["text"].startswith(GROUP)
    assert first.args["blocks"][1]["text"]["text"] == GROUP
    assert "<!channel>" not in _all_text(second.args)  # escaped like any other text
    assert "subteam" not in _all_text(second.args)
