"""The store behaviour suite, run against BOTH backends.

Every test gets a fresh store: SQLite on a temporary file, and PostgreSQL in a
schema of its own (``CREATE SCHEMA pw_test_<random>`` reached through the URL's
``search_path``), dropped afterwards. The PostgreSQL variants skip, with the
reason, only when no server answers at ``POLICYWATCH_TEST_PG_DSN`` (default
``postgresql://postgres@127.0.0.1:5432/test``); with ``CI=true`` they fail
instead, so a broken CI database can never pass as "skipped".
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from bot.matcher import Matcher, MatchResult
from bot.models import Item
from bot.store import Store, open_store
from bot.store.codec import now_utc
from bot.store.migrations import LATEST_VERSION
from bot.store.records import (
    AuditEntry,
    CursorUpdate,
    Ingested,
    OutboxEntry,
    SourceState,
    StoryRecord,
    Subscription,
)
from bot.watchlists import WatchlistEdit, load_catalog, shipped_watchlists_dir

MATCHER = Matcher(load_catalog(shipped_watchlists_dir()))
PG_DSN = os.environ.get("POLICYWATCH_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
_pg_checked: str | None = None  # "" when a server answered, else why not


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


async def postgres_unavailable() -> str:
    """Why PostgreSQL cannot be used here ("" when it can); checked once per session."""
    global _pg_checked
    if _pg_checked is None:
        try:
            import asyncpg
        except ImportError:
            _pg_checked = "asyncpg is not installed (pip install -e '.[test]')"
        else:
            try:
                conn = await asyncpg.connect(PG_DSN, timeout=3)
                await conn.close()
                _pg_checked = ""
            except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
                _pg_checked = f"no PostgreSQL server answers at {_safe(PG_DSN)}: {exc}"
    return _pg_checked


def require_postgres(reason: str) -> None:
    """Skip locally, fail loudly in CI."""
    if not reason:
        return
    if in_ci():
        pytest.fail(f"CI=true but PostgreSQL is unusable: {reason}")
    pytest.skip(reason)


def _safe(dsn: str) -> str:
    parts = urlsplit(dsn)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}:{parts.port or 5432}{parts.path}"


def with_search_path(dsn: str, schema: str) -> str:
    """The DSN with ``?search_path=schema`` (asyncpg passes unknown params as settings)."""
    parts = urlsplit(dsn)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
    query.append(("search_path", schema))
    return urlunsplit(parts._replace(query=urlencode(query)))


@asynccontextmanager
async def fresh_pg_schema() -> AsyncIterator[str]:
    """Create an empty schema, yield a DSN that lives in it, drop it afterwards."""
    import asyncpg

    require_postgres(await postgres_unavailable())
    schema = f"pw_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(PG_DSN)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield with_search_path(PG_DSN, schema)
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    async with fresh_pg_schema() as url:
        yield url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    opened = await open_store(store_url)
    yield opened
    await opened.close()


def _item(
    n: int,
    title: str,
    url: str | None = None,
    source: str = "Reuters",
    day: int = 1,
    summary: str = "",
) -> Item:
    return Item(
        id=f"i{n}",
        title=title,
        summary=summary,
        url=url,
        source=source,
        published=datetime(2026, 1, day, 12, tzinfo=UTC),
    )


def _ingested(*items: Item) -> list[Ingested]:
    return [Ingested(i, MATCHER.match(i)) for i in items]


# ------------------------------------------------------------------ items


async def test_dedupe_by_id_url_and_title_within_and_across_batches(store: Store) -> None:
    first = _item(1, "Ford denies Xiaomi talks", "https://a.example/1")
    same_url = _item(2, "Different headline", "https://a.example/1")
    same_title = _item(3, "FORD denies Xiaomi talks!", "https://a.example/2")
    other_source = _item(4, "Ford denies Xiaomi talks", "https://b.example/3", source="Bloomberg")
    same_id = _item(1, "Anything", "https://c.example/9")
    batch = _ingested(first, same_url, same_title, other_source, same_id)
    keys = await store.add_items(batch)
    assert len(keys) == 2 and keys == sorted(keys)
    assert await store.item_count() == 2
    assert await store.add_items(batch) == []
    stored = await store.items_since(0, 10)
    assert [s.item.id for s in stored] == ["i1", "i4"]  # the first of duplicates wins
    assert stored[0].item.title == "Ford denies Xiaomi talks"
    fresh = _item(9, "Something else entirely", "https://d.example/1")
    assert await store.unseen([first, same_title, fresh]) == [fresh]
    assert await store.max_item_pk() == max(keys)


async def test_matches_are_queryable_newest_first_with_reasons(store: Store) -> None:
    items = [
        _item(n, f"Ford plant news number {n}", f"https://x.example/{n}", day=n)
        for n in range(1, 6)
    ]
    await store.add_items(_ingested(*items))
    rows = await store.items_matching("company", "ford", None, 3)
    assert [r.item.id for r in rows] == ["i5", "i4", "i3"]
    assert rows[0].companies == ("ford",)
    assert "Ford" in rows[0].why["ford"]
    assert rows[0].item.published == datetime(2026, 1, 5, 12, tzinfo=UTC)
    since = await store.items_matching("company", "ford", datetime(2026, 1, 4, tzinfo=UTC), 10)
    assert [r.item.id for r in since] == ["i5", "i4"]
    assert await store.items_matching("company", "nobody", None, 10) == []


async def test_equal_times_break_ties_newest_key_first(store: Store) -> None:
    items = [_item(n, f"Ford recall wave {n}", f"https://t.example/{n}", day=3) for n in (1, 2, 3)]
    await store.add_items(_ingested(*items))
    rows = await store.items_matching("company", "ford", None, 10)
    assert [r.item.id for r in rows] == ["i3", "i2", "i1"]


async def test_full_text_search_finds_stems_and_is_safe_for_any_input(store: Store) -> None:
    items = [
        _item(1, "CATL licenses LFP technology to Ford", "https://x.example/1"),
        _item(2, "Tariffs on Chinese EVs stay at 100%", "https://x.example/2"),
        _item(3, "Quiet day", "https://x.example/3", summary="Battery maker expands licensing"),
    ]
    await store.add_items(_ingested(*items))
    assert [r.item.id for r in await store.search("lfp licensing", 10)] == ["i1"]
    assert [r.item.id for r in await store.search("tariff", 10)] == ["i2"]
    assert [r.item.id for r in await store.search("battery", 10)] == ["i3"]  # summary too
    assert {r.item.id for r in await store.search("licensing", 10)} == {"i1", "i3"}
    hostile = (
        '" OR 1',
        "NEAR(a b)",
        "title:*",
        "AND",
        "'; DROP TABLE items; --",
        "***",
        "ford & !catl | (x <-> y)",
        "lfp:*A",
        "\\",
        "\x00ford\x00",
        "'",
        "''''",
        "ß ǅ 中国 🚗",
        "a" * 5000,
        "",
        "   ",
    )
    for text in hostile:
        await store.search(text, 10)  # must not raise
    assert await store.item_count() == 3


async def test_search_reads_apostrophes_alike_on_both_stores(store: Store) -> None:
    items = [
        _item(1, "Ford’s Marshall battery plant readies LFP lines", "https://x.example/1"),
        _item(2, "Ford Marshall plant hires", "https://x.example/2"),
        _item(3, "O'Brien questions automakers' China ties", "https://x.example/3"),
        _item(4, "Marshall Islands shipping", "https://x.example/4"),
    ]
    await store.add_items(_ingested(*items))
    for query in ("Ford's Marshall", "Ford’s Marshall", "fords marshall", "FORD'S MARSHALL"):
        assert {r.item.id for r in await store.search(query, 10)} == {"i1", "i2"}, query
    assert [r.item.id for r in await store.search("O'Brien", 10)] == ["i3"]
    assert [r.item.id for r in await store.search("O’Brien automakers’", 10)] == ["i3"]


async def test_replace_matches_rewrites_one_items_matches(store: Store) -> None:
    item = _item(1, "Ford plant news", "https://x.example/1")
    other = _item(2, "Ford plant expansion", "https://x.example/2")
    [pk, other_pk] = await store.add_items(_ingested(item, other))
    await store.replace_matches([(pk, MatchResult()), (999_999, MatchResult())])
    assert [r.pk for r in await store.items_matching("company", "ford", None, 5)] == [other_pk]
    await store.replace_matches([(pk, MATCHER.match(item))])
    assert len(await store.items_matching("company", "ford", None, 5)) == 2


NOW_2030 = datetime(2030, 1, 1, tzinfo=UTC)


async def test_new_matches_and_recent_items_are_oldest_first(store: Store) -> None:
    items = [
        _item(
            n, f"Biden raises tariffs on Chinese EVs to 100% {n}", f"https://e.example/{n}", day=n
        )
        for n in range(1, 4)
    ]
    keys = await store.add_items(_ingested(*items))
    rows = await store.new_matches("ev-tariffs", keys[0], 10)
    assert [r.pk for r in rows] == keys[1:]

    async def recent(since: datetime, limit: int, page: int = 500) -> list[list[str]]:
        return [
            [r.item.id for r in rows] async for rows in store.recent_item_pages(since, limit, page)
        ]

    assert await recent(datetime(2026, 1, 2, tzinfo=UTC), 10) == [["i2", "i3"]]
    assert await recent(datetime(2026, 1, 1, tzinfo=UTC), 2) == [["i2", "i3"]]  # the newest two
    assert await recent(datetime(2026, 1, 1, tzinfo=UTC), 10, page=2) == [["i1", "i2"], ["i3"]]
    assert [r.item.id async for rows in store.recent_item_pages(NOW_2030, 10) for r in rows] == []
    assert [r.pk for r in await store.items_since(keys[0], 1)] == [keys[1]]


async def test_nul_and_odd_text_round_trips(store: Store) -> None:
    item = Item(id="odd", title="Ford “quotes” — ünïcødé 🚗", summary="", url=None, source=None)
    [pk] = await store.add_items(_ingested(item))
    [row] = await store.items_since(pk - 1, 1)
    assert row.item.title == item.title and row.item.url is None and row.item.source is None
    assert row.item.published is None
    assert row.fetched_at.tzinfo is not None and row.fetched_at.microsecond == 0


# ------------------------------------------------------------------ stories


async def test_stories_upsert_and_thread_queries(store: Store) -> None:
    t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
    claim = StoryRecord("s-claim", "Ford in talks with Xiaomi", t0, t0, "claim")
    denial = StoryRecord(
        "s-deny", "Ford denies Xiaomi talks", t0 + timedelta(hours=2), t0, "denial", "s-claim"
    )
    i1 = _item(1, "Ford in talks with Xiaomi", "https://s.example/1", day=1)
    i2 = _item(2, "Ford denies Xiaomi talks", "https://s.example/2", day=2)
    await store.add_items(
        [
            Ingested(i1, MATCHER.match(i1), "s-claim", "claim", "reported talks"),
            Ingested(i2, MATCHER.match(i2), "s-deny", "denial", "denies"),
        ],
        [claim, denial],
    )
    got = await store.story("s-claim")
    assert got == claim
    assert await store.story("missing") is None
    many = [f"missing-{n}" for n in range(1200)] + ["s-deny", "s-claim"]  # several chunks
    assert sorted(await store.stories(many), key=lambda s: s.id) == [claim, denial]
    assert await store.stories([]) == []
    assert [s.id for s in await store.answering(["s-claim"])] == ["s-deny"]
    assert await store.answering([]) == []
    items = await store.story_items(["s-claim", "s-deny"])
    assert [(r.item.id, r.story_id, r.event_type) for r in items] == [
        ("i1", "s-claim", "claim"),
        ("i2", "s-deny", "denial"),
    ]
    assert items[0].event_reason == "reported talks"
    # Upsert: last_seen only moves forward, answers is kept once set, related is
    # replaced by a new list but kept when an item brings none.
    later = replace(
        claim, last_seen=t0 + timedelta(days=1), event_type="report", related=("s-x", "s-y")
    )
    await store.add_items([], [later, replace(denial, answers="other", last_seen=t0)])
    assert await store.story("s-claim") == later
    assert (await store.story("s-deny")).answers == "s-claim"  # type: ignore[union-attr]
    await store.add_items([], [replace(later, last_seen=t0)])
    assert (await store.story("s-claim")).last_seen == later.last_seen  # type: ignore[union-attr]
    await store.add_items([], [replace(later, related=())])
    assert (await store.story("s-claim")).related == ("s-x", "s-y")  # type: ignore[union-attr]


async def test_a_platform_event_is_handled_once_and_forgotten_later(store: Store) -> None:
    t0 = datetime(2026, 11, 26, 9, tzinfo=UTC)
    keep = timedelta(hours=1)
    assert await store.first_handling("slack:Ev1", t0, keep)
    assert not await store.first_handling("slack:Ev1", t0 + timedelta(minutes=5), keep)
    assert await store.first_handling("slack:Ev2", t0 + timedelta(minutes=5), keep)
    # Past ``keep`` the record is dropped (Slack has long stopped retrying).
    assert await store.first_handling("slack:Ev1", t0 + timedelta(hours=2), keep)


# ------------------------------------------------------------------ subscriptions


async def test_subscriptions_upsert_and_stay_in_their_workspace(store: Store) -> None:
    a = Subscription("slack", "T1", "C1", "ev-tariffs", "daily", "09:00", "UTC", created_by="U1")
    first = await store.save_subscription(a)
    assert first.id is not None and first.created_at is not None and first.last_due_at
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
    await store.save_subscription(Subscription("slack", "T1", "C1", "catl-licensing"))
    mine = await store.channel_subscriptions("slack", "T1", "C1")
    assert [(s.watchlist, s.cadence, s.at, s.tz, s.weekday) for s in mine] == [
        ("catl-licensing", "daily", "09:00", "UTC", 0),
        ("ev-tariffs", "weekly", "08:00", "Europe/Berlin", 2),
    ]
    assert updated.id == first.id
    assert len(await store.channel_subscriptions("slack", "T2", "C1")) == 1
    assert len(await store.all_subscriptions()) == 3
    assert await store.delete_subscriptions("slack", "T1", "C1", "catl-licensing") == 1
    assert await store.delete_subscriptions("slack", "T1", "C1", None) == 1
    assert await store.delete_subscriptions("slack", "T1", "C1", None) == 0
    assert len(await store.channel_subscriptions("slack", "T2", "C1")) == 1


async def test_disable_channel_then_resubscribe_clears_the_reason(store: Store) -> None:
    sub = Subscription("discord", "G", "C", "ev-tariffs")
    await store.save_subscription(sub)
    assert await store.disable_channel("discord", "G", "C", "channel_not_found") == 1
    [paused] = await store.channel_subscriptions("discord", "G", "C")
    assert paused.disabled_reason == "channel_not_found"
    [again] = [await store.save_subscription(sub)]
    assert again.disabled_reason is None


async def test_new_subscription_cursor_starts_at_the_newest_item(store: Store) -> None:
    keys = await store.add_items(_ingested(_item(1, "Ford news", "https://c.example/1")))
    sub = await store.save_subscription(Subscription("console", "W", "C", "ev-tariffs"))
    assert sub.cursor_pk == keys[0]


# ------------------------------------------------------------------ edits and audit


async def test_edits_and_audit_are_recorded_together(store: Store) -> None:
    at = now_utc()
    entry = AuditEntry(
        at, "slack", "T1", "U1", "watchlist add", "watchlist add ev-tariffs levy", "ok"
    )
    await store.add_edit(WatchlistEdit("add", "ev-tariffs", "levy"), entry)
    await store.audit(AuditEntry(at, "slack", "T1", "U2", "watchlist add", "denied", "refused"))
    assert await store.edits() == [WatchlistEdit("add", "ev-tariffs", "levy")]
    log = await store.recent_audit(10)
    assert [e.outcome for e in log] == ["refused", "ok"]
    assert log[1] == entry
    assert len(await store.recent_audit(1)) == 1


# ------------------------------------------------------------------ migrations


async def test_migrations_are_idempotent_and_keep_data(store_url: str) -> None:
    first = await open_store(store_url)
    await first.add_items(_ingested(_item(1, "Old Ford item", "https://old.example/1")))
    assert await first.upgrade() == LATEST_VERSION
    await first.close()
    second = await open_store(store_url)  # opens (and upgrades) again
    assert await second.upgrade() == LATEST_VERSION
    assert await second.item_count() == 1
    assert [r.item.id for r in await second.search("old ford", 5)] == ["i1"]
    await second.close()


async def test_postgres_upgrade_from_version_one_keeps_data() -> None:
    import asyncpg

    from bot.store.pg_migrations import PG_MIGRATIONS
    from bot.store.postgres import PostgresStore

    async with fresh_pg_schema() as url:
        conn = await asyncpg.connect(url)
        await conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
        )
        await conn.execute(PG_MIGRATIONS[0][2])
        await conn.execute("INSERT INTO schema_migrations VALUES (1, now())")
        await conn.execute(
            "INSERT INTO items(id, title, summary, url, source, source_kind, published, fetched_at, "
            "sort_at, title_key) VALUES ('old1', 'Old Ford item', '', 'https://old.example/1', "
            "'Reuters', 'news', NULL, now(), now(), 'old ford item|reuters')"
        )
        await conn.close()
        store = await PostgresStore.open(url)
        assert await store.schema_version() == 1
        assert await store.upgrade() == LATEST_VERSION
        assert await store.item_count() == 1
        assert [r.item.id for r in await store.search("old ford", 5)] == ["old1"]
        await store.save_subscription(Subscription("console", "W", "C", "ev-tariffs"))
        await store.close()


async def test_postgres_concurrent_upgrades_apply_each_step_once() -> None:
    """Replicas starting together (and ``db upgrade``) queue on the advisory lock."""
    import asyncpg

    from bot.store.postgres import PostgresStore

    async with fresh_pg_schema() as url:
        stores = [await PostgresStore.open(url) for _ in range(4)]
        versions = await asyncio.gather(*(s.upgrade() for s in stores))
        assert versions == [LATEST_VERSION] * 4
        conn = await asyncpg.connect(url)
        applied = [
            r[0] for r in await conn.fetch("SELECT version FROM schema_migrations ORDER BY 1")
        ]
        await conn.close()
        assert applied == list(range(1, LATEST_VERSION + 1))
        for s in stores:
            await s.close()


async def test_postgres_url_schemes_and_bad_server() -> None:
    from bot.store.postgres import is_postgres_url

    assert is_postgres_url("postgres://u@h/db") and is_postgres_url("postgresql://u@h/db")
    assert not is_postgres_url("sqlite:///x.db")
    with pytest.raises(OSError) as caught:
        await open_store("postgresql://nobody:s3cret-pw@127.0.0.1:1/none")
    assert "s3cret-pw" not in str(caught.value)


# ------------------------------------------------------------------ outbox


def _entry(key: str, channel: str = "C1", kind: str = "digest") -> OutboxEntry:
    return OutboxEntry(key, kind, "slack", "T1", channel, '{"title": "x"}')


async def test_outbox_enqueue_dedupes_and_moves_cursors_together(store: Store) -> None:
    sub = await store.save_subscription(
        Subscription(
            "slack", "T1", "C1", "ev-tariffs", last_due_at=datetime(2026, 1, 1, tzinfo=UTC)
        )
    )
    assert sub.id is not None
    due = datetime(2026, 1, 2, 9, tzinfo=UTC)
    ids = await store.enqueue([_entry("d:1")], [CursorUpdate(sub.id, 7, due, True)])
    assert len(ids) == 1
    assert await store.enqueue([_entry("d:1")], [CursorUpdate(sub.id, 3, due, True)]) == []
    [after] = await store.all_subscriptions()
    assert (after.cursor_pk, after.last_due_at, after.last_digest_at) == (7, due, due)
    # An empty run moves the cursor and the slot but not "last digest".
    later = due + timedelta(days=1)
    await store.enqueue([], [CursorUpdate(sub.id, 9, later, False)])
    [empty] = await store.all_subscriptions()
    assert (empty.cursor_pk, empty.last_due_at, empty.last_digest_at) == (9, later, due)
    # Cursors never move back.
    await store.enqueue([], [CursorUpdate(sub.id, 1, due, True)])
    [kept] = await store.all_subscriptions()
    assert (kept.cursor_pk, kept.last_due_at) == (9, later)


async def test_outbox_claim_lease_retry_sent_and_failed(store: Store) -> None:
    ids = await store.enqueue([_entry(f"k{n}") for n in range(3)], [])
    now = now_utc()
    lease = timedelta(minutes=2)
    claimed = await store.claim_outbox(now, 2, lease)
    assert [r.id for r in claimed] == ids[:2]
    assert all(r.status == "sending" and r.attempts == 1 for r in claimed)
    assert [r.id for r in await store.claim_outbox(now, 10, lease)] == ids[2:]
    assert await store.claim_outbox(now, 10, lease) == []  # all leased
    # An expired lease (a crashed sender) is claimed again, attempts counted.
    again = await store.claim_outbox(now + lease, 10, lease)
    assert [r.id for r in again] == ids and all(r.attempts == 2 for r in again)
    await store.mark_sent(ids[0], "m1")
    await store.mark_retry(ids[1], "rate limited", now + timedelta(hours=1))
    await store.mark_failed(ids[2], "channel_not_found")
    assert await store.claim_outbox(now + 2 * lease, 10, lease) == []
    [sent] = await store.outbox("sent")
    assert (sent.id, sent.message_id) == (ids[0], "m1")
    [failed] = await store.outbox("failed")
    assert failed.last_error == "channel_not_found"
    [retry] = await store.claim_outbox(now + timedelta(hours=1), 10, lease)
    assert (retry.id, retry.attempts, retry.last_error) == (ids[1], 3, "rate limited")
    assert [r.id for r in await store.outbox()] == ids


async def test_outbox_concurrent_claimers_never_share_a_row(store_url: str) -> None:
    """Several senders (separate connections/stores) drain one outbox concurrently."""
    stores = [await open_store(store_url) for _ in range(4)]
    total = 300
    ids = await stores[0].enqueue([_entry(f"c{n}", channel=f"C{n % 7}") for n in range(total)], [])
    now = now_utc()
    got: list[list[int]] = [[] for _ in stores]

    async def claimer(n: int) -> None:
        store = stores[n % len(stores)]
        while True:
            rows = await store.claim_outbox(now, 7, timedelta(minutes=5))
            if not rows:
                return
            got[n % len(stores)].extend(r.id for r in rows)
            await asyncio.sleep(0)

    await asyncio.gather(*(claimer(n) for n in range(8)))
    flat = [i for part in got for i in part]
    assert len(flat) == len(set(flat)) == total
    assert sorted(flat) == sorted(ids)
    for s in stores:
        await s.close()


async def test_alerts_since_counts_alerts_per_channel(store: Store) -> None:
    await store.enqueue(
        [
            _entry("a1", kind="alert"),
            _entry("a2", kind="alert"),
            _entry("d1"),
            _entry("a3", "C2", "alert"),
        ],
        [],
    )
    since = now_utc() - timedelta(minutes=1)
    assert await store.alerts_since("slack", "T1", "C1", since) == 2
    assert await store.alerts_since("slack", "T1", "C2", since) == 1
    assert await store.alerts_since("slack", "T1", "C1", now_utc() + timedelta(minutes=1)) == 0


# ------------------------------------------------------------------ source state


async def test_source_state_round_trip(store: Store) -> None:
    assert await store.get_state("fr") is None
    state = SourceState(
        source_id="fr",
        etag='W/"abc"',
        last_modified="Wed, 21 Oct 2026 07:28:00 GMT",
        last_success=datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC),
        item_count=12,
        next_fetch_at=datetime(2026, 1, 1, 12, 30, tzinfo=UTC),
        notes="2 entries had no link",
    )
    await store.save_state(state)
    got = await store.get_state("fr")
    assert got == replace(state, last_success=datetime(2026, 1, 1, 12, tzinfo=UTC))
    failing = replace(
        state,
        last_error="HTTP 503",
        last_error_at=datetime(2026, 1, 2, tzinfo=UTC),
        consecutive_failures=2,
    )
    await store.save_state(failing)
    await store.save_state(SourceState(source_id="edgar"))
    states = await store.all_states()
    assert [s.source_id for s in states] == ["edgar", "fr"]
    assert states[1].consecutive_failures == 2 and not states[1].healthy


async def test_postgres_source_leases_give_each_feed_one_fetcher() -> None:
    from bot.store.postgres import PostgresStore

    async with fresh_pg_schema() as url:
        a = await open_store(url)
        b = await open_store(url)
        assert isinstance(a, PostgresStore) and isinstance(b, PostgresStore)
        soon = now_utc() + timedelta(minutes=5)
        results = await asyncio.gather(
            a.claim_source("fr", "replica-a", soon), b.claim_source("fr", "replica-b", soon)
        )
        assert sorted(results) == [False, True]
        by_name = {"replica-a": a, "replica-b": b}
        winner = "replica-a" if results[0] else "replica-b"
        loser = "replica-b" if results[0] else "replica-a"
        assert await by_name[winner].claim_source("fr", winner, soon)  # renewing is fine
        assert not await by_name[loser].claim_source("fr", loser, soon)
        await by_name[winner].release_source("fr", winner)
        assert await by_name[loser].claim_source("fr", loser, soon)
        # An expired lease (a dead replica) can be taken over.
        assert await a.claim_source("edgar", "dead", now_utc() - timedelta(seconds=1))
        assert await b.claim_source("edgar", "replica-b", soon)
        assert await a.get_state("fr") is None  # leases never fake a fetch state
        await a.close()
        await b.close()


async def test_mutes_are_per_channel(store: Store) -> None:
    here, there = ("slack", "T1", "C1"), ("slack", "T2", "C1")
    assert await store.set_muted(here, "s1", "U1", True)
    assert not await store.set_muted(here, "s1", "U1", True)  # already muted
    assert await store.muted_stories(here) == {"s1"}
    assert await store.muted_stories(there) == set()
    assert await store.set_muted(here, "s1", "U1", False)
    assert not await store.set_muted(here, "s1", "U1", False)
    assert await store.muted_stories(here) == set()
