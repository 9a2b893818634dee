"""End-to-end ingestion against the local fixture server: good feeds and hostile ones."""

from __future__ import annotations

import itertools
import logging
import time
from datetime import UTC, datetime

import pytest
from pw_feedserver import FeedServer, fast_limits

from bot.config import Settings
from bot.sources import (
    FetchReport,
    Ingestor,
    MemorySourceStateStore,
    SourceConfig,
    fetch_url_source,
)

LOGGER = "policywatch.sources"


def rss(server: FeedServer, path: str, source_id: str = "test", **extra: object) -> SourceConfig:
    return SourceConfig.model_validate(
        {"id": source_id, "kind": "rss", "name": "Test feed", "url": server.url(path), **extra}
    )


async def test_rss_items_are_normalised(feed_server: FeedServer, ingestor: Ingestor) -> None:
    report = await ingestor.fetch_one(rss(feed_server, "/rss.xml", source_kind="committee"))
    assert report.status == "ok", report.error
    assert report.requests == 1
    first = report.items[0]
    assert first.url == (
        "https://committee.example.gov/media/press-releases/letter-automaker-battery?id=42"
    )
    assert first.summary.startswith("The chairman asked the company to explain its licensing")
    assert "alert" not in first.summary and "<" not in first.summary
    assert "& any planned" in first.summary
    assert first.published == datetime(2026, 2, 3, 19, 30, tzinfo=UTC)
    assert first.source == "Test feed" and first.source_kind == "committee"
    assert len(first.id) == 20
    assert report.items[1].summary == "The committee welcomed the final rule."
    assert "fbclid" not in (report.items[1].url or "")
    ua = feed_server.headers["/rss.xml"]["User-Agent"]
    assert ua.startswith("policywatch/") and "tests@example.org" in ua


async def test_atom_feed(feed_server: FeedServer, ingestor: Ingestor) -> None:
    report = await ingestor.fetch_one(rss(feed_server, "/atom.xml"))
    assert report.status == "ok", report.error
    titles = [i.title for i in report.items]
    assert titles[0] == "Treasury-style guidance on foreign entity of concern rules"
    assert report.items[0].url == "https://agency.example.gov/news/feoc-guidance"
    assert report.items[0].published == datetime(2026, 2, 4, 9, 0, tzinfo=UTC)
    assert report.items[1].summary == "Comments are due in sixty days."


async def test_gzip_encoded_feed(feed_server: FeedServer, ingestor: Ingestor) -> None:
    report = await ingestor.fetch_one(rss(feed_server, "/gzip.xml"))
    assert report.status == "ok", report.error
    assert len(report.items) == 3
    assert "gzip" in feed_server.headers["/gzip.xml"]["Accept-Encoding"]


async def test_etag_round_trip(feed_server: FeedServer, ingestor: Ingestor) -> None:
    source = rss(feed_server, "/etag.xml")
    first = await ingestor.fetch_one(source)
    assert first.status == "ok" and len(first.items) == 3
    state = await ingestor.state.get_state(source.id)
    assert state is not None and state.etag == '"v1"'
    assert state.last_modified == "Tue, 03 Feb 2026 20:00:00 GMT"
    second = await ingestor.fetch_one(source)
    assert second.status == "not_modified" and second.items == [] and second.requests == 1
    sent = feed_server.headers["/etag.xml"]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Tue, 03 Feb 2026 20:00:00 GMT"
    state = await ingestor.state.get_state(source.id)
    assert state is not None and state.item_count == 3 and state.healthy


async def test_429_waits_for_retry_after(
    feed_server: FeedServer, ingestor: Ingestor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    started = time.monotonic()
    report = await ingestor.fetch_one(rss(feed_server, "/ratelimited.xml"))
    elapsed = time.monotonic() - started
    assert report.status == "ok", report.error
    assert report.requests == 2 and feed_server.hits["/ratelimited.xml"] == 2
    assert 0.9 <= elapsed < 3
    assert "retrying in 1.0 s after HTTP 429" in caplog.text


async def test_500_retried_then_error(
    feed_server: FeedServer, ingestor: Ingestor, caplog: pytest.LogCaptureFixture
) -> None:
    report = await ingestor.fetch_one(rss(feed_server, "/500.xml", source_id="broken"))
    assert report.status == "error" and report.error == "HTTP 500"
    assert report.requests == 3 and feed_server.hits["/500.xml"] == 3
    assert "source broken failed: HTTP 500" in caplog.text
    state = await ingestor.state.get_state("broken")
    assert state is not None and not state.healthy
    assert state.last_error == "HTTP 500" and state.consecutive_failures == 1
    assert state.next_fetch_at is not None and state.last_error_at is not None


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/huge.xml", "body too large: body exceeds 1048576 bytes while streaming"),
        ("/huge-declared.xml", "body too large: Content-Length 52428800 > limit 1048576"),
        ("/gzip-bomb.xml", "body too large: body exceeds 1048576 bytes after decompression"),
        ("/drip.xml", "total timeout of 1.5 s exceeded"),
        ("/billion-laughs.xml", "XML ENTITY declarations are not allowed"),
        ("/xxe.xml", "XML ENTITY declarations are not allowed"),
        ("/html", "not an RSS/Atom feed (got text/html)"),
        ("/loop-a", "redirect loop at http://127.0.0.1:{port}/loop-a"),
    ],
)
async def test_hostile_sources_are_refused(
    feed_server: FeedServer,
    ingestor: Ingestor,
    caplog: pytest.LogCaptureFixture,
    path: str,
    reason: str,
) -> None:
    started = time.monotonic()
    report = await ingestor.fetch_one(rss(feed_server, path, source_id="hostile"))
    assert time.monotonic() - started < 3
    expected = reason.format(port=feed_server.port)
    assert report.status == "error"
    assert report.error == expected
    assert f"source hostile failed: {expected}" in caplog.text
    assert report.requests <= 2 or path == "/loop-a"


async def test_malformed_xml_is_an_error(
    feed_server: FeedServer, ingestor: Ingestor, caplog: pytest.LogCaptureFixture
) -> None:
    report = await ingestor.fetch_one(rss(feed_server, "/malformed.xml", source_id="bad"))
    assert report.status == "error"
    assert report.error is not None and report.error.startswith("malformed feed:")
    assert "source bad failed: malformed feed:" in caplog.text


async def test_duplicates_dropped_within_a_fetch(
    feed_server: FeedServer, ingestor: Ingestor
) -> None:
    report = await ingestor.fetch_one(rss(feed_server, "/duplicates.xml"))
    assert [i.title for i in report.items] == [
        "Automaker denies joint-venture report",
        "Battery maker expands licensing business",
    ]
    assert len({i.id for i in report.items}) == 2


async def test_missing_dates_become_none(feed_server: FeedServer, ingestor: Ingestor) -> None:
    report = await ingestor.fetch_one(rss(feed_server, "/missing-dates.xml"))
    assert report.status == "ok"
    assert [i.published for i in report.items] == [None, None]


async def test_redirect_followed_and_rechecked(feed_server: FeedServer, ingestor: Ingestor) -> None:
    report = await ingestor.fetch_one(rss(feed_server, "/moved"))
    assert report.status == "ok" and report.requests == 2 and len(report.items) == 3


async def test_redirect_to_other_scheme_refused(
    feed_server: FeedServer, ingestor: Ingestor, caplog: pytest.LogCaptureFixture
) -> None:
    report = await ingestor.fetch_one(rss(feed_server, "/to-ftp"))
    assert report.status == "error"
    assert report.error == "refused ftp://127.0.0.1/feed.xml: scheme 'ftp' is not http/https"
    assert "refused ftp://127.0.0.1/feed.xml: scheme 'ftp' is not http/https" in caplog.text


async def test_item_limit(feed_server: FeedServer) -> None:
    engine = Ingestor(
        Settings(allow_private_urls=True),
        MemorySourceStateStore(),
        limits=fast_limits(max_items=2),
    )
    try:
        report = await engine.fetch_one(rss(feed_server, "/rss.xml"))
    finally:
        await engine.aclose()
    assert report.status == "ok" and len(report.items) == 2


async def test_one_bad_source_never_stops_the_others(
    feed_server: FeedServer, ingestor: Ingestor
) -> None:
    sources = [
        rss(feed_server, "/rss.xml", source_id="good"),
        rss(feed_server, "/500.xml", source_id="server-error"),
        rss(feed_server, "/billion-laughs.xml", source_id="bomb"),
        rss(feed_server, "/drip.xml", source_id="slow"),
        rss(feed_server, "/atom.xml", source_id="good-atom"),
    ]
    reports = await ingestor.fetch_all(sources)
    by_id: dict[str, FetchReport] = {r.source_id: r for r in reports}
    assert by_id["good"].status == "ok" and by_id["good-atom"].status == "ok"
    assert {by_id[k].status for k in ("server-error", "bomb", "slow")} == {"error"}
    states = {s.source_id: s for s in await ingestor.state.all_states()}
    assert states["good"].healthy and not states["bomb"].healthy
    assert states["bomb"].last_error == "XML ENTITY declarations are not allowed"


async def test_only_due_skips_recently_fetched(feed_server: FeedServer, ingestor: Ingestor) -> None:
    source = rss(feed_server, "/rss.xml", interval_minutes=30)
    assert len(await ingestor.fetch_all([source], only_due=True)) == 1
    assert await ingestor.fetch_all([source], only_due=True) == []
    later = datetime(2100, 1, 1, tzinfo=UTC)
    assert len(await ingestor.fetch_all([source], only_due=True, now=later)) == 1


async def test_per_host_politeness(feed_server: FeedServer) -> None:
    engine = Ingestor(
        Settings(allow_private_urls=True),
        MemorySourceStateStore(),
        limits=fast_limits(host_min_interval=0.2),
    )
    sources = [rss(feed_server, "/rss.xml", source_id=f"s{i}") for i in range(3)]
    try:
        reports = await engine.fetch_all(sources)
    finally:
        await engine.aclose()
    assert all(r.status == "ok" for r in reports)
    times = sorted(feed_server.times["/rss.xml"])
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 0.18 for gap in gaps), gaps


async def test_fetch_url_source(feed_server: FeedServer, ingestor: Ingestor) -> None:
    source = fetch_url_source(feed_server.url("/rss.xml"))
    assert source.kind == "rss" and source.id.startswith("feed-")
    report = await ingestor.fetch_one(source)
    assert report.status == "ok" and len(report.items) == 3


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/deep/path/not-located.xml", "/deep/releases/2026-02-05.html"),  # the fetch URL
        ("/deep/path/located.xml", "/feeds/releases/2026-02-05.html"),  # Content-Location
    ],
)
async def test_relative_links_use_content_location_then_the_fetch_url(
    feed_server: FeedServer, ingestor: Ingestor, path: str, expected: str
) -> None:
    report = await ingestor.fetch_one(rss(feed_server, path))
    assert report.status == "ok", report.error
    assert [i.url for i in report.items] == [feed_server.url(expected)]
