"""SQLite-specific storage behaviour. What every backend must do is tested on
SQLite and PostgreSQL alike in ``test_store_backends.py``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite

from bot.store.migrations import LATEST_VERSION, MIGRATIONS
from bot.store.records import Subscription
from bot.store.sqlite import SQLiteStore


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
