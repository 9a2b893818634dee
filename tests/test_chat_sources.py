"""Sources added from chat: the probe before saving, refusals with the reason,
audit entries, `sources`, and the scheduled fetch by the leading replica, on
SQLite and PostgreSQL. Feeds are served by a local aiohttp app on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.caller import Caller
from bot.config import Settings
from bot.coordination import leadership_for
from bot.core import PolicyWatch
from bot.runner import Jobs
from tests.recording_adapter import RecordingAdapter
from tests.test_store_backends import fresh_pg_schema

NO_SOURCES = Path(__file__).parent / "fixtures" / "no_sources.yaml"
NOW = datetime.now(UTC).replace(microsecond=0)
ADMIN = Caller(platform="slack", workspace="T1", channel="C1", user="U_ADMIN")
USER = Caller(platform="slack", workspace="T1", channel="C1", user="U_USER")


def rss(items: list[tuple[str, datetime]]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>https://trade.example/{n}</link>"
        f"<pubDate>{when:%a, %d %b %Y %H:%M:%S} +0000</pubDate></item>"
        for n, (title, when) in enumerate(items)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Trade desk</title>'
        f"{entries}</channel></rss>"
    ).encode()


FEED = rss(
    [
        ("US raises tariffs on Chinese EVs to 125%", NOW - timedelta(hours=2)),
        ("USTR widens Section 301 tariffs on Chinese EV batteries", NOW - timedelta(hours=5)),
        ("Port of Baltimore reopens after storm", NOW - timedelta(days=1)),
    ]
)


@pytest.fixture
async def feeds() -> AsyncIterator[str]:
    """Base URL of a local server: /feed.xml (RSS), /page (HTML), /gone (404)."""

    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=FEED, content_type="application/rss+xml")

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>Welcome</body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    app.router.add_get("/other.xml", feed)
    app.router.add_get("/page", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def _settings(tmp_path: Path, url: str = "", *, private: bool = True) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=url or f"sqlite:///{tmp_path / 'chat.db'}",
        admins=frozenset({"U_ADMIN"}),
        sources_file=NO_SOURCES,
        allow_private_urls=private,  # the feeds are served on 127.0.0.1
    )


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[PolicyWatch]:
    instance = await PolicyWatch.open(_settings(tmp_path))
    yield instance
    await instance.close()


async def test_source_add_probes_saves_audits_and_lists(core: PolicyWatch, feeds: str) -> None:
    reply = await core.handle(ADMIN, f"source add {feeds}/feed.xml trade-desk every 15m")
    assert not reply.is_error, reply.to_text()
    assert reply.title.startswith("Added source trade-desk: RSS, 3 items, newest 2 h ago;")
    assert "2 would match ev-tariffs" in reply.title
    [saved] = await core.store.chat_sources()
    assert (saved.id, saved.interval_minutes, saved.added_by) == ("trade-desk", 15, "U_ADMIN")
    assert await core.store.item_count() == 0  # fetched to look, stored by the schedule
    listed = (await core.handle(USER, "sources")).to_text()
    assert "Added in chat:" in listed
    assert (
        f"trade-desk — 127.0.0.1: not fetched yet · {feeds}/feed.xml · added by U_ADMIN" in listed
    )
    [entry, *_] = await core.store.recent_audit(5)
    assert (entry.action, entry.outcome) == ("source add", "ok")
    assert entry.detail == f"source add {feeds}/feed.xml trade-desk every 15m"


async def test_source_refusals_say_why(core: PolicyWatch, feeds: str, tmp_path: Path) -> None:
    async def refused(caller: Caller, text: str) -> str:
        reply = await core.handle(caller, text)
        assert reply.is_error, reply.to_text()
        return reply.to_text()

    assert "Only admins" in await refused(USER, f"source add {feeds}/feed.xml")
    assert "is not a usable feed: not an RSS/Atom feed" in await refused(
        ADMIN, f"source add {feeds}/page"
    )
    assert "404" in await refused(ADMIN, f"source add {feeds}/missing.xml")
    assert "Usage: source add URL [NAME] [every Nm|Nh]" in await refused(
        ADMIN, "source add ftp://x.example/feed"
    )
    assert "every takes minutes or hours" in await refused(
        ADMIN, f"source add {feeds}/feed.xml x1 every 9d"
    )
    assert not (await core.handle(ADMIN, f"source add {feeds}/feed.xml desk")).is_error
    assert "Source 'desk' already fetches" in await refused(
        ADMIN, f"source add {feeds}/feed.xml again"
    )
    assert "A source named 'desk' already exists" in await refused(
        ADMIN, f"source add {feeds}/other.xml desk"
    )
    assert "No source 'nope' was added in chat. Sources added in chat: desk." in await refused(
        ADMIN, "source remove nope"
    )
    assert "already being fetched" in await refused(ADMIN, "source resume desk")
    audit = await core.store.recent_audit(20)
    assert sum(e.outcome == "rejected" for e in audit) >= 6
    assert any(e.outcome == "refused" and e.user == "U_USER" for e in audit)
    # With the SSRF guard on (the default), a private address is refused.
    guarded = await PolicyWatch.open(_settings(tmp_path / "guarded", private=False))
    try:
        reply = await guarded.handle(ADMIN, f"source add {feeds}/feed.xml")
        assert reply.is_error and "Refused" in reply.title and "loopback" in reply.title
        assert await guarded.store.chat_sources() == []
    finally:
        await guarded.close()


async def test_pause_resume_remove(core: PolicyWatch, feeds: str) -> None:
    assert not (await core.handle(ADMIN, f"source add {feeds}/feed.xml desk")).is_error
    assert "Paused source desk" in (await core.handle(ADMIN, "source pause desk")).title
    assert "paused in chat (`source resume desk`)" in (await core.handle(USER, "sources")).to_text()
    assert [s.enabled for s in await core.all_sources()] == [False]
    assert "Resumed source desk" in (await core.handle(ADMIN, "source resume desk")).title
    assert "Removed source desk" in (await core.handle(ADMIN, "source remove desk")).title
    assert await core.all_sources() == []


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_the_leading_replica_fetches_a_chat_added_source_on_schedule(
    backend: str, feeds: str, tmp_path: Path
) -> None:
    async def run(url: str) -> None:
        first = await PolicyWatch.open(_settings(tmp_path / "a", url))
        second = await PolicyWatch.open(_settings(tmp_path / "b", url))
        try:
            reply = await first.handle(ADMIN, f"source add {feeds}/feed.xml desk")
            assert not reply.is_error, reply.to_text()
            leads = leadership_for(second.store, retry_seconds=0.2)
            follows = leadership_for(first.store, retry_seconds=0.2)
            leader = Jobs(second, [RecordingAdapter(second, second.settings)], leadership=leads)
            follower = Jobs(first, [RecordingAdapter(first, first.settings)], leadership=follows)
            leads.start()
            assert await leads.wait_until_leader(10)
            if backend == "postgres":
                follows.start()  # campaigns, but the lock is taken
                assert not await follows.wait_until_leader(0.6)
                await follower.ingest()  # a follower's ingest tick does nothing
                assert await first.store.item_count() == 0
            await leader.ingest()  # the tick the scheduler runs
            assert await first.store.item_count() == 3  # stored once, seen by both
            state = await first.store.get_state("desk")
            assert state is not None and state.healthy and state.item_count == 3
            assert "desk — 127.0.0.1: ok" in (await first.handle(USER, "sources")).to_text()
            await leader.ingest()  # not due again for 30 minutes
            assert (await first.store.get_state("desk")) == state
            await leads.stop()
            await follows.stop()
        finally:
            await first.close()
            await second.close()

    if backend == "sqlite":
        await run(f"sqlite:///{tmp_path / 'shared.db'}")
    else:
        async with fresh_pg_schema() as url:
            await run(url)


async def test_a_source_without_a_name_is_named_after_its_host(
    core: PolicyWatch, feeds: str
) -> None:
    reply = await core.handle(ADMIN, f"source add {feeds}/feed.xml")
    assert reply.title.startswith("Added source 127-0-0-1:"), reply.to_text()
    again = await core.handle(ADMIN, f"source add {feeds}/other.xml")
    assert "already exists. Give it a NAME: `source add URL NAME`." in again.title


async def test_a_secret_in_a_feed_url_stays_out_of_replies_and_the_audit_log(
    core: PolicyWatch, feeds: str
) -> None:
    reply = await core.handle(ADMIN, f"source add {feeds}/feed.xml?token=s3cr3t keyed")
    assert not reply.is_error, reply.to_text()
    listed = (await core.handle(USER, "sources")).to_text()
    assert "keyed" in listed and "s3cr3t" not in listed and "token=***" in listed
    assert all("s3cr3t" not in e.detail for e in await core.store.recent_audit(10))
    [saved] = await core.store.chat_sources()
    assert saved.url.endswith("token=s3cr3t")  # fetched with it, shown without it
