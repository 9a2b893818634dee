"""The store methods behind issue 16 (pauses, filters, mentions, chat-added
sources), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store import Store
from bot.store.records import AuditEntry, ChatSource, Subscription
from tests.test_store_backends import store, store_url  # noqa: F401  (both backends)

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
CHANNEL = ("slack", "T1", "C1")


def _entry(action: str) -> AuditEntry:
    return AuditEntry(NOW, "slack", "T1", "U1", action, f"{action} detail", "ok")


async def test_filters_and_pauses_are_stored_per_subscription(store: Store) -> None:  # noqa: F811
    sub = Subscription(*CHANNEL, "ev-tariffs", min_priority=2, only_term="Section 301")
    saved = await store.save_subscription(sub)
    assert (saved.min_priority, saved.only_term, saved.without_term) == (2, "Section 301", None)
    await store.save_subscription(Subscription(*CHANNEL, "catl-licensing"))
    assert await store.set_paused(CHANNEL, "ev-tariffs", NOW, NOW + timedelta(days=2)) == 1
    by_id = {s.watchlist: s for s in await store.channel_subscriptions(*CHANNEL)}
    assert by_id["ev-tariffs"].paused_until == NOW + timedelta(days=2)
    assert by_id["ev-tariffs"].paused(NOW + timedelta(days=1))
    assert not by_id["ev-tariffs"].paused(NOW + timedelta(days=3))  # a timed pause ends
    assert not by_id["catl-licensing"].paused(NOW)
    # Re-subscribing restates filters but keeps the pause.
    await store.save_subscription(Subscription(*CHANNEL, "ev-tariffs", without_term="Canada"))
    [again] = [
        s for s in await store.channel_subscriptions(*CHANNEL) if s.watchlist == "ev-tariffs"
    ]
    assert (again.only_term, again.without_term, again.min_priority) == (None, "Canada", 0)
    assert again.paused(NOW + timedelta(days=1))
    assert await store.set_paused(CHANNEL, None, NOW) == 2  # all, until resumed
    assert all(s.paused(NOW + timedelta(days=999)) for s in await store.all_subscriptions())
    assert await store.set_paused(CHANNEL, None, None) == 2
    assert not any(s.paused(NOW) for s in await store.all_subscriptions())


async def test_mentions_and_chat_sources_are_audited(store: Store) -> None:  # noqa: F811
    await store.set_mention(CHANNEL, "<!subteam^S1>", _entry("alert mention"))
    assert await store.channel_mention(CHANNEL) == "<!subteam^S1>"
    assert await store.all_mentions() == [(CHANNEL, "<!subteam^S1>")]
    await store.set_mention(CHANNEL, None, _entry("alert mention"))
    assert await store.channel_mention(CHANNEL) is None and await store.all_mentions() == []

    source = ChatSource(
        "desk", "https://trade.example/feed.xml", 15, False, "U1", NOW, "slack", "T1"
    )
    assert await store.add_chat_source(source, _entry("source add"))
    assert not await store.add_chat_source(source, _entry("source add"))  # name taken
    other = ChatSource("desk2", source.url, added_by="U1", added_at=NOW)
    assert not await store.add_chat_source(other, _entry("source add"))  # URL taken
    assert await store.chat_sources() == [source]
    assert await store.change_chat_source("desk", True, _entry("source pause"))
    assert [s.paused for s in await store.chat_sources()] == [True]
    assert not await store.change_chat_source("nope", True, _entry("source pause"))
    assert await store.change_chat_source("desk", None, _entry("source remove"))
    assert await store.chat_sources() == []
    actions = [e.action for e in await store.recent_audit(20)]
    assert actions.count("source add") == 3 and "source remove" in actions
    assert actions.count("alert mention") == 2
