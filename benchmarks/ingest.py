"""Ingestion benchmark: 500 local feeds x 50 items, then an unchanged second pass.

Run with ``python -m benchmarks.ingest``. The feed server runs in a child process on
127.0.0.1 (random port) so its CPU and memory do not pollute the ingest numbers. The
second pass must cost one conditional request per feed and yield no new items.
The first pass's items are then stored as the ingestion job stores them
(``PolicyWatch.ingest`` per feed: match, type, group, write) into a fresh
SQLite database, so the two numbers add up to the whole path from feed to store.
A parser section compares feedparser with and without its HTML sanitiser on a
generated feed and on the hostile test fixtures.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import feedparser

from benchmarks.common import ingest_share_line
from bot.config import Settings
from bot.core import PolicyWatch
from bot.models import Item
from bot.sources import FetchLimits, Ingestor, MemorySourceStateStore, SourceConfig
from bot.sources.feeds import FeedError, parse_feed

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "sources" / "fixtures"
TIME_LIMIT_S = 110.0


def make_feed(feed_no: int, items: int) -> bytes:
    """One RSS document with HTML-escaped descriptions, like real agency feeds."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>',
        f"<title>Bench feed {feed_no}</title><link>https://bench{feed_no}.example/</link>",
        "<description>generated</description>",
    ]
    for i in range(items):
        day = 1 + (i % 28)
        parts.append(
            "<item>"
            f"<title>Feed {feed_no} item {i}: committee letter on battery licensing</title>"
            f"<link>https://bench{feed_no}.example/news/{i}?utm_source=rss&amp;id={i}</link>"
            f'<guid isPermaLink="false">bench-{feed_no}-{i}</guid>'
            f"<pubDate>Mon, {day:02d} Feb 2026 10:{i % 60:02d}:00 -0500</pubDate>"
            "<description>&lt;p&gt;The &lt;b&gt;chairman&lt;/b&gt; asked about "
            "&lt;a href=&quot;https://example.gov/x&quot;&gt;LFP cells&lt;/a&gt; &amp;amp; "
            "tax credits under 30D and 45X.&lt;/p&gt;&lt;p&gt;Second paragraph with more "
            "context on the plant in Michigan.&lt;/p&gt;</description>"
            "</item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def make_varied_feed(feed_no: int, items: int) -> bytes:
    """RSS as publishers send it: non-ASCII text, links relative to the channel link,
    every third item with only a guid; every fourth feed says ISO-8859-1 and sends
    windows-1252 curly quotes (decoded as browsers do)."""
    latin = feed_no % 4 == 3
    encoding = "ISO-8859-1" if latin else "UTF-8"
    quote, unquote = "\u201c", "\u201d"
    place = "Zwickau" if latin else "Zwickau und Ningde (\u5b81\u5fb7)"
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>',
        f"<title>Varied feed {feed_no}</title><link>https://press{feed_no}.example.gov/news/</link>",
        "<description>generated</description>",
    ]
    for i in range(items):
        link = f"<link>/news/2026/{i}</link>" if i % 3 else ""
        guid = f"<guid>https://press{feed_no}.example.gov/p/{i}</guid>" if not link else ""
        parts.append(
            "<item>"
            f"<title>Minister\u2019s {quote}battery{unquote} visit to {place}, item {i}</title>"
            f"{link}{guid}"
            f"<pubDate>Tue, 03 Feb 2026 10:{i % 60:02d}:00 +0100</pubDate>"
            "<description>&lt;p&gt;Caf\u00e9 talks on LFP cells &amp;amp; the 45X credit "
            "\u2013 na\u00efve estimates.&lt;/p&gt;</description>"
            "</item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("cp1252" if latin else "utf-8")


def _serve(conn: Connection, feeds: int, items: int) -> None:
    """Child process: an aiohttp server with ETag support; reports its port on ``conn``."""
    from aiohttp import web

    bodies: dict[int, bytes] = {}

    async def handler(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        etag = f'"bench-{n}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        body = bodies.get(n)
        if body is None:
            body = bodies[n] = make_feed(n, items)
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": etag})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{n}.xml", handler)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        conn.send(runner.addresses[0][1])
        while not conn.poll():
            await asyncio.sleep(0.1)
        await runner.cleanup()

    asyncio.run(main())


def _maxrss_mb() -> float:
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


async def run_ingest(port: int, feeds: int, concurrency: int) -> dict[str, Any]:
    sources = [
        SourceConfig(id=f"bench-{n}", url=f"http://127.0.0.1:{port}/feed/{n}.xml")
        for n in range(feeds)
    ]
    limits = FetchLimits(
        max_concurrency=concurrency,
        host_min_interval=0.0,
        total_timeout=30.0,
        max_attempts=2,
        backoff_initial=0.1,
    )
    ingestor = Ingestor(Settings(allow_private_urls=True), MemorySourceStateStore(), limits=limits)
    seen: set[str] = set()
    try:
        rss_before = _maxrss_mb()
        started = time.perf_counter()
        first = await ingestor.fetch_all(sources)
        first_s = time.perf_counter() - started
        batches = [report.items for report in first]
        for report in first:
            seen.update(item.id for item in report.items)
        first_items = sum(len(r.items) for r in first)
        rss_after = _maxrss_mb()

        started = time.perf_counter()
        second = await ingestor.fetch_all(sources)
        second_s = time.perf_counter() - started
        new = sum(1 for r in second for item in r.items if item.id not in seen)
    finally:
        await ingestor.aclose()
    return {
        "first_s": first_s,
        "first_items": first_items,
        "first_status": Counter(r.status for r in first),
        "first_requests": sum(r.requests for r in first),
        "unique_ids": len(seen),
        "rss_before": rss_before,
        "rss_after": rss_after,
        "second_s": second_s,
        "second_status": Counter(r.status for r in second),
        "second_requests": sum(r.requests for r in second),
        "second_new": new,
        "errors": [r.error for r in (*first, *second) if r.error][:5],
        "batches": batches,
    }


async def store_batches(batches: list[list[Item]]) -> float:
    """Seconds to match, type, group and store each feed's items through
    ``PolicyWatch.ingest`` into an empty SQLite database."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        (path / "sources.yaml").write_text("sources: []\n")
        settings = Settings(
            data_dir=path,
            database_url=f"sqlite:///{path / 'bench.db'}",
            sources_file=path / "sources.yaml",
        )
        core = await PolicyWatch.open(settings)
        try:
            started = time.perf_counter()
            for batch in batches:
                await core.ingest(batch)
            return time.perf_counter() - started
        finally:
            await core.close()


def _timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(seconds per call, peak traced MB) for ``fn``."""
    tracemalloc.start()
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    elapsed = (time.perf_counter() - started) / repeat
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return elapsed, peak


def _rate(fn: Callable[[], object], items: int, repeat: int = 10) -> float:
    fn()  # warm-up
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return items * repeat / (time.perf_counter() - started)


def varied_section(feeds: int = 20, items: int = 50) -> None:
    """Parse rate on feeds with non-ASCII text, relative links and guid-only items."""
    bodies = [make_varied_feed(n, items) for n in range(feeds)]
    kept = [i for body in bodies for i in parse_feed(body, source="v").items]
    linked = sum(1 for i in kept if i.url and i.url.startswith("https://press"))

    def parse_all(fast: bool) -> None:
        for body in bodies:
            parse_feed(body, source="v", use_fast_path=fast)

    fast = _rate(lambda: parse_all(True), feeds * items, repeat=3)
    slow = _rate(lambda: parse_all(False), feeds * items, repeat=1)
    print(
        f"  {feeds} varied feeds (non-ASCII, relative links, guid-only), items/s: "
        f"fast path {fast:,.0f}, feedparser {slow:,.0f}; "
        f"{linked} of {feeds * items} items kept with absolute URLs"
    )


def parser_section() -> None:
    """Compare the parser options on a clean feed and on the hostile test fixtures."""
    feed = make_feed(0, 50)
    print("\nparser, one 50-item feed with HTML-escaped descriptions (items/s):")
    rows: list[tuple[str, Callable[[], object]]] = [
        ("feedparser, defaults (sanitiser on)", lambda: feedparser.parse(feed)),
        (
            "feedparser, sanitiser off",
            lambda: feedparser.parse(feed, sanitize_html=False, resolve_relative_uris=False),
        ),
        (
            "parse_feed via feedparser + normalise",
            lambda: parse_feed(feed, source="b", use_fast_path=False),
        ),
        ("parse_feed via expat fast path + normalise", lambda: parse_feed(feed, source="b")),
    ]
    for label, fn in rows:
        print(f"  {label:45} {_rate(fn, 50):10,.0f}")
    varied_section()
    print("hostile fixtures: parse_feed (what the Ingestor does) vs raw feedparser.parse")
    for name in ("billion_laughs.xml", "xxe.xml", "malformed.xml", "not_a_feed.html"):
        data = (FIXTURES / name).read_bytes()
        outcome = "accepted"

        def ours(data: bytes = data, name: str = name) -> None:
            nonlocal outcome
            try:
                parse_feed(data, source=name)
            except FeedError as exc:
                outcome = f"refused: {exc}"[:55]

        ours_s, ours_mb = _timed(ours, 1)
        raw_s, raw_mb = _timed(lambda data=data: feedparser.parse(data), 1)  # type: ignore[misc]
        print(
            f"  {name:19} ours {ours_s * 1000:6.1f} ms {ours_mb:5.1f} MB ({outcome})\n"
            f"  {'':19} raw  {raw_s * 1000:6.1f} ms {raw_mb:5.1f} MB"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--skip-parsers", action="store_true")
    args = parser.parse_args(argv)

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(child, args.feeds, args.items), daemon=True)
    server.start()
    try:
        if not parent.poll(20):
            print("feed server did not start", file=sys.stderr)
            return 1
        port = parent.recv()
        print(f"{args.feeds} feeds x {args.items} items on 127.0.0.1:{port}, ", end="")
        print(f"concurrency {args.concurrency}")
        result = asyncio.run(
            asyncio.wait_for(run_ingest(port, args.feeds, args.concurrency), timeout=TIME_LIMIT_S)
        )
    finally:
        parent.send("stop")
        server.join(5)
        if server.is_alive():
            server.terminate()

    items_per_s = result["first_items"] / result["first_s"]
    print(
        f"first pass:  {result['first_items']} items ({result['unique_ids']} unique ids) "
        f"in {result['first_s']:.2f} s = {items_per_s:,.0f} items/s; "
        f"{result['first_requests']} requests; {dict(result['first_status'])}"
    )
    print(
        f"second pass: {result['second_requests']} requests, {result['second_new']} new items "
        f"in {result['second_s']:.2f} s; {dict(result['second_status'])}"
    )
    print(
        f"peak RSS: {result['rss_after']:.0f} MB "
        f"(was {result['rss_before']:.0f} MB before the first pass)"
    )
    if result["errors"]:
        print(f"errors (first 5): {result['errors']}")
    stored_s = asyncio.run(store_batches(result["batches"]))
    print(
        f"stored:      {result['first_items']} items in {stored_s:.2f} s = "
        f"{result['first_items'] / stored_s:,.0f} items/s "
        f"({stored_s / result['first_items'] * 1e6:.0f} us/item: match, type, group, SQLite write)"
    )
    stored_items = [item for batch in result["batches"] for item in batch]
    print(ingest_share_line(stored_items, stored_s / result["first_items"] * 1e6))
    if not args.skip_parsers:
        parser_section()
    ok = (
        result["second_requests"] == args.feeds
        and result["second_new"] == 0
        and result["first_items"] == args.feeds * args.items
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
