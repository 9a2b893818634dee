"""The SQLite store on a real database file."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from bot.matcher import Matcher, MatchResult
from bot.models import Item
from bot.store import open_store
from bot.store.codec import now_utc
from bot.store.migrations import LATEST_VERSION, MIGRATIONS
from bot.store.records import AuditEntry, Ingested, Subscription
from bot.store.sqlite import SQLiteStore
from bot.watchlists import WatchlistEdit, load_catalog, shipped_watchlists_dir

MATCHER = Matcher(load_catalog(shipped_watchlists_dir()))


def _item(
    n: int, title: str, url: str | None = None, source: str = "Reuters", day: int = 1
) -> Item:
    return Item(
        id=f"i{n}",
        title=title,
        summary="",
        url=url,
        source=source,
        published=datetime(2026, 1, day, 12, tzinfo=UTC),
    )


async def test_dedupe_by_url_and_by_title_and_source(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 's.db'}")
    first = _item(1, "Ford denies Xiaomi talks", "https://a.example/1")
    same_url = _item(2, "Different headline", "https://a.example/1")
    same_title = _item(3, "FORD denies Xiaomi talks!", "https://a.example/2")
    other_source = _item(4, "Ford denies Xiaomi talks", "https://b.example/3", source="Bloomberg")
    same_id = _item(1, "Anything", "https://c.example/9")
    batch = [
        Ingested(i, MATCHER.match(i)) for i in (first, same_url, same_title, other_source, same_id)
    ]
    keys = await store.add_items(batch)
    assert len(keys) == 2
    assert await store.item_count() == 2
    assert await store.add_items(batch) == []  # a second pass adds nothing
    await store.close()


async def test_matches_are_queryable_newest_first_with_reasons(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 's.db'}")
    items = [
        _item(n, f"Ford plant news number {n}", f"https://x.example/{n}", day=n)
        for n in range(1, 6)
    ]
    await store.add_items([Ingested(i, MATCHER.match(i)) for i in items])
    rows = await store.items_matching("company", "ford", None, 3)
    assert [r.item.id for r in rows] == ["i5", "i4", "i3"]
    assert rows[0].companies == ("ford",)
    assert "Ford" in rows[0].why["ford"]
    since = await store.items_matching("company", "ford", datetime(2026, 1, 4, tzinfo=UTC), 10)
    assert [r.item.id for r in since] == ["i5", "i4"]
    await store.close()


async def test_full_text_search_is_safe_for_any_input(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 's.db'}")
    items = [
        _item(1, "CATL licenses LFP technology to Ford", "https://x.example/1"),
        _item(2, "Tariffs on Chinese EVs stay at 100%", "https://x.example/2"),
    ]
    await store.add_items([Ingested(i, MATCHER.match(i)) for i in items])
    assert [r.item.id for r in await store.search("lfp licensing", 10)] == ["i1"]
    assert [r.item.id for r in await store.search("tariff", 10)] == ["i2"]
    for hostile in ('" OR 1', "NEAR(a b)", "title:*", "AND", "'; DROP TABLE items; --", "***"):
        await store.search(hostile, 10)  # must not raise
    assert await store.item_count() == 2
    await store.close()


async def test_subscriptions_upsert_and_stay_in_their_workspace(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 's.db'}")
    a = Subscription("slack", "T1", "C1", "ev-tariffs", "daily", "09:00", "UTC", created_by="U1")
    await store.save_subscription(a)
    updated = await store.save_subscription(
        Subscription(
            "slack",
            "T1",
            "C1",
            "ev-tariffs",
            "weekly",
            "08:00",
            "Europe/Berlin",
            2,
            created_by="U1",
        )
    )
    await store.save_subscription(Subscription("slack", "T2", "C1", "ev-tariffs", created_by="U9"))
    mine = await store.channel_subscriptions("slack", "T1", "C1")
    assert [(s.cadence, s.at, s.tz, s.weekday) for s in mine] == [
        ("weekly", "08:00", "Europe/Berlin", 2)
    ]
    assert updated.id == mine[0].id
    assert len(await store.channel_subscriptions("slack", "T2", "C1")) == 1
    assert await store.delete_subscriptions("slack", "T1", "C1", None) == 1
    assert len(await store.channel_subscriptions("slack", "T2", "C1")) == 1
    await store.close()


async def test_edits_and_audit_are_recorded_together(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 's.db'}")
    entry = AuditEntry(
        now_utc(), "slack", "T1", "U1", "watchlist add", "watchlist add ev-tariffs levy", "ok"
    )
    await store.add_edit(WatchlistEdit("add", "ev-tariffs", "levy"), entry)
    await store.audit(
        AuditEntry(now_utc(), "slack", "T1", "U2", "watchlist add", "denied", "refused")
    )
    assert await store.edits() == [WatchlistEdit("add", "ev-tariffs", "levy")]
    log = await store.recent_audit(10)
    assert [e.outcome for e in log] == ["refused", "ok"]
    await store.close()


async def test_migrations_upgrade_an_existing_database_and_keep_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    # Build a version-1 database the way an earlier release would have.
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    old.executescript(MIGRATIONS[0][2])
    old.execute("INSERT INTO schema_migrations VALUES (1, '2026-01-01T00:00:00+00:00')")
    old.execute(
        "INSERT INTO items(id, title, summary, url, source, source_kind, published, fetched_at, sort_at, title_key) "
        "VALUES ('old1', 'Old Ford item', '', 'https://old.example/1', 'Reuters', 'news', NULL, "
        "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', 'old ford item|reuters')"
    )
    old.commit()
    old.close()

    store = await SQLiteStore.open(str(path))
    assert await store.schema_version() == 1
    assert await store.upgrade() == LATEST_VERSION
    assert await store.upgrade() == LATEST_VERSION  # idempotent
    assert await store.item_count() == 1
    assert [r.item.id for r in await store.search("old ford", 5)] == ["old1"]
    await store.save_subscription(Subscription("console", "W", "C", "ev-tariffs"))
    await store.close()
    async with aiosqlite.connect(path) as db, db.execute("PRAGMA journal_mode") as cursor:
        assert (await cursor.fetchone())[0] == "wal"  # type: ignore[index]


async def test_replace_matches_rewrites_one_items_matches(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 's.db'}")
    item = _item(1, "Ford plant news", "https://x.example/1")
    [pk] = await store.add_items([Ingested(item, MATCHER.match(item))])
    await store.replace_matches([(pk, MatchResult())])
    assert await store.items_matching("company", "ford", None, 5) == []
    await store.close()
