"""Helpers for the sources tests: a local aiohttp app that plays good and hostile feeds.

Kept out of conftest.py so test modules can import ``FeedServer`` and ``fast_limits``.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bot.sources import FetchLimits

FIXTURES = Path(__file__).parent / "fixtures"
CHUNK = 64 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FeedServer:
    """Handle on the running server: base URL, hit counters and seen request headers."""

    base: str
    port: int
    hits: Counter[str] = field(default_factory=Counter)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)
    queries: dict[str, str] = field(default_factory=dict)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def build_app(server: FeedServer) -> web.Application:
    rss = _fixture("rss.xml")

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        server.hits[request.path] += 1
        server.headers[request.path] = dict(request.headers)
        server.queries[request.path] = request.query_string
        server.times.setdefault(request.path, []).append(asyncio.get_running_loop().time())
        return await handler(request)

    def static(name: str, content_type: str) -> Handler:
        body = _fixture(name)

        async def handler(request: web.Request) -> web.Response:
            return web.Response(body=body, content_type=content_type)

        return handler

    async def etag_feed(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(
            body=rss,
            content_type="application/rss+xml",
            headers={"ETag": '"v1"', "Last-Modified": "Tue, 03 Feb 2026 20:00:00 GMT"},
        )

    async def ratelimited(request: web.Request) -> web.Response:
        if server.hits[request.path] == 1:
            return web.Response(status=429, headers={"Retry-After": "1"})
        return web.Response(body=rss, content_type="application/rss+xml")

    async def always_500(request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    async def huge(request: web.Request) -> web.StreamResponse:
        # 50 MB without allocating it: the same 64 KiB chunk, written until the client leaves.
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        chunk = b"<!-- padding -->" * (CHUNK // 16)
        try:
            for _ in range(50 * 1024 * 1024 // CHUNK):
                await response.write(chunk)
        except (ConnectionResetError, ConnectionError):
            pass
        return response

    async def huge_declared(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        response.content_length = 50 * 1024 * 1024
        await response.prepare(request)
        return response  # never sends the body: the client must refuse on the header

    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        try:
            await response.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            for _ in range(100):
                await asyncio.sleep(0.1)
                await response.write(b" ")
        except (ConnectionResetError, ConnectionError):
            pass
        return response

    async def gzip_bomb(request: web.Request) -> web.StreamResponse:
        # ~50 KB on the wire, 50 MB once inflated; compressed in slices, never held whole.
        response = web.StreamResponse(
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
        )
        await response.prepare(request)
        compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        zeros = b"\0" * (1024 * 1024)
        try:
            await response.write(compressor.compress(b'<?xml version="1.0"?><rss><channel>'))
            for _ in range(50):
                out = compressor.compress(zeros)
                if out:
                    await response.write(out)
            await response.write(compressor.flush())
        except (ConnectionResetError, ConnectionError):
            pass
        return response

    async def gzipped_rss(request: web.Request) -> web.Response:
        return web.Response(
            body=zlib.compress(rss, wbits=16 + zlib.MAX_WBITS),
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
        )

    no_link = (FIXTURES.parent / "conformance" / "rss20_document_url.xml").read_bytes()

    async def located(request: web.Request) -> web.Response:
        headers = {"Content-Location": "/feeds/sub/press.xml"}
        return web.Response(body=no_link, content_type="application/rss+xml", headers=headers)

    async def not_located(request: web.Request) -> web.Response:
        return web.Response(body=no_link, content_type="application/rss+xml")

    def redirect(target: str) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            return web.Response(status=302, headers={"Location": target})

        return handler

    app = web.Application(middlewares=[record])
    routes: list[tuple[str, Handler]] = [
        ("/rss.xml", static("rss.xml", "application/rss+xml")),
        ("/atom.xml", static("atom.xml", "application/atom+xml")),
        ("/duplicates.xml", static("duplicates.xml", "application/rss+xml")),
        ("/missing-dates.xml", static("missing_dates.xml", "application/rss+xml")),
        ("/billion-laughs.xml", static("billion_laughs.xml", "application/xml")),
        ("/xxe.xml", static("xxe.xml", "application/xml")),
        ("/malformed.xml", static("malformed.xml", "application/xml")),
        ("/html", static("not_a_feed.html", "text/html")),
        ("/fr.json", static("federal_register.json", "application/json")),
        ("/congress.json", static("congress_bills.json", "application/json")),
        ("/edgar.json", static("edgar_submissions.json", "application/json")),
        ("/congress-untitled.json", static("congress_untitled.json", "application/json")),
        ("/v3/bill/119/hr/7343", static("congress_bill_7343.json", "application/json")),
        ("/deep/path/located.xml", located),
        ("/deep/path/not-located.xml", not_located),
        ("/with-dropped.xml", static("../conformance/rss20_one_bad_entry.xml", "text/xml")),
        ("/etag.xml", etag_feed),
        ("/ratelimited.xml", ratelimited),
        ("/500.xml", always_500),
        ("/huge.xml", huge),
        ("/huge-declared.xml", huge_declared),
        ("/drip.xml", drip),
        ("/gzip-bomb.xml", gzip_bomb),
        ("/gzip.xml", gzipped_rss),
        ("/loop-a", redirect("/loop-b")),
        ("/loop-b", redirect("/loop-a")),
        ("/moved", redirect("/rss.xml")),
        ("/to-metadata", redirect("http://169.254.169.254/latest")),
        ("/to-ftp", redirect("ftp://127.0.0.1/feed.xml")),
    ]
    for path, handler in routes:
        app.router.add_get(path, handler)
    return app


def fast_limits(**overrides: float | int) -> FetchLimits:
    """Short timeouts and backoff so every test finishes in about a second."""
    values: dict[str, float | int] = {
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "total_timeout": 1.5,
        "max_bytes": 1024 * 1024,
        "max_attempts": 3,
        "backoff_initial": 0.05,
        "backoff_max": 0.1,
        "backoff_jitter": 0.01,
        "max_retry_after": 2.0,
        "host_min_interval": 0.0,
    }
    values.update(overrides)
    return FetchLimits(**values)  # type: ignore[arg-type]
