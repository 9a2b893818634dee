"""HTTP fetching with every safety limit enforced while the bytes arrive.

One ``Fetcher`` is shared by all sources so that per-host politeness and the
connection pool are shared too. Redirects are followed by hand so that every hop is
re-checked by the SSRF guard before a connection is made, and credentials headers
never follow a redirect to another origin.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from bot.sources.limits import BodyTooLarge, BoundedDecoder, FetchLimits
from bot.sources.redact import RedactURLs, mask_url, redact_text
from bot.sources.ssrf import AddressGuard, GuardedBackend, RefusedURL, UnresolvedHost

logger = logging.getLogger("policywatch.sources")
for _library in ("httpx", "httpcore"):
    logging.getLogger(_library).addFilter(RedactURLs())

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
# Headers that carry credentials: dropped when a redirect leaves the origin.
_SENSITIVE_HEADERS = frozenset({"authorization", "x-api-key", "cookie"})


class FetchError(Exception):
    """A fetch that failed for a reason worth showing to an operator."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.requests = 0  # filled in by Fetcher.fetch: requests spent before giving up


class RetryableError(FetchError):
    """Transient failure (429, 5xx, connection trouble): worth another attempt."""


@dataclass
class FetchResult:
    """Outcome of one logical fetch (after redirects and retries)."""

    status: int
    url: str
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    requests: int = 0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


class HostThrottle:
    """Per-host politeness: at least ``interval_for(host)`` seconds between request starts."""

    def __init__(self, limits: FetchLimits) -> None:
        self.limits = limits
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    async def wait(self, host: str) -> None:
        interval = self.limits.interval_for(host)
        if interval <= 0:
            return
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            loop = asyncio.get_running_loop()
            delay = self._last.get(host, -1e18) + interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._last[host] = loop.time()


def build_transport(guard: AddressGuard, limits: FetchLimits) -> httpx.AsyncBaseTransport:
    """httpx transport whose connections go through ``GuardedBackend``.

    httpx has no public hook for the network backend, so the pool is replaced after
    construction; ``trust_env`` is off so a proxy cannot bypass the address check.
    """
    pool_limits = httpx.Limits(
        max_connections=max(limits.max_concurrency * 2, 10),
        max_keepalive_connections=max(limits.max_concurrency, 10),
    )
    transport = httpx.AsyncHTTPTransport(trust_env=False, limits=pool_limits)
    import httpcore

    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=pool_limits.max_connections,
        max_keepalive_connections=pool_limits.max_keepalive_connections,
        keepalive_expiry=pool_limits.keepalive_expiry,
        network_backend=GuardedBackend(guard),
    )
    return transport


class Fetcher:
    """Shared HTTP client: conditional GET, manual redirects, streaming limits, retries."""

    def __init__(
        self,
        *,
        user_agent: str,
        guard: AddressGuard,
        limits: FetchLimits,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.guard = guard
        self.limits = limits
        self.throttle = HostThrottle(limits)
        timeout = httpx.Timeout(
            connect=limits.connect_timeout,
            read=limits.read_timeout,
            write=limits.read_timeout,
            pool=limits.total_timeout,
        )
        self.client = httpx.AsyncClient(
            transport=transport or build_transport(guard, limits),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            headers={
                "User-Agent": user_agent,
                "Accept-Encoding": "gzip, deflate",
            },
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, FetchError) and exc.retry_after is not None:
            return float(exc.retry_after)
        base = min(
            self.limits.backoff_max,
            self.limits.backoff_initial * (2.0 ** (state.attempt_number - 1)),
        )
        return base + random.uniform(0, self.limits.backoff_jitter)

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self.limits.max_attempts:
            return True
        exc = state.outcome.exception() if state.outcome else None
        # A server asking for a long pause gets it from the scheduler, not a held task.
        return (
            isinstance(exc, FetchError)
            and exc.retry_after is not None
            and exc.retry_after > self.limits.max_retry_after
        )

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        logger.info("retrying in %.1f s after %s", delay, redact_text(str(exc)))

    async def fetch(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        """GET ``url`` with all limits; 304 comes back as a result, other failures raise.

        Raises RefusedURL (logged once here) or FetchError with a one-line reason.
        """
        extra = dict(headers or {})
        if etag:
            extra["If-None-Match"] = etag
        if last_modified:
            extra["If-Modified-Since"] = last_modified
        counter = [0]
        try:
            async for attempt in AsyncRetrying(
                stop=self._stop,
                wait=self._wait,
                retry=retry_if_exception_type(RetryableError),
                before_sleep=self._before_sleep,
                reraise=True,
            ):
                with attempt:
                    result = await self._attempt(url, extra, counter)
                    result.requests = counter[0]
                    return result
        except RefusedURL as exc:
            exc.requests = counter[0]
            logger.warning("refused %s: %s", mask_url(exc.url), redact_text(exc.reason))
            raise
        except UnresolvedHost as exc:  # no network, or a typo: not worth a retry
            error = FetchError(str(exc))
            error.requests = counter[0]
            raise error from exc
        except FetchError as exc:
            exc.requests = counter[0]
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, url: str, headers: dict[str, str], counter: list[int]) -> FetchResult:
        try:
            async with asyncio.timeout(self.limits.total_timeout):
                return await self._follow(url, headers, counter)
        except TimeoutError as exc:
            raise FetchError(f"total timeout of {self.limits.total_timeout:g} s exceeded") from exc

    async def _follow(self, url: str, headers: dict[str, str], counter: list[int]) -> FetchResult:
        seen: set[str] = set()
        current = url
        origin = _origin(url)
        for _hop in range(self.limits.max_redirects + 1):
            if current in seen:
                raise FetchError(f"redirect loop at {mask_url(current)}")
            seen.add(current)
            await self.guard.check_url(current)
            if _origin(current) != origin:
                headers = {k: v for k, v in headers.items() if k.lower() not in _SENSITIVE_HEADERS}
            await self.throttle.wait(urlsplit(current).hostname or "")
            counter[0] += 1
            result = await self._get(current, headers)
            if result.status in _REDIRECTS:
                location = result.headers.get("location")
                if not location:
                    raise FetchError(f"HTTP {result.status} without Location")
                try:
                    current = str(httpx.URL(current).join(location))
                except httpx.InvalidURL as exc:
                    raise FetchError(redact_text(f"bad redirect Location: {exc}")) from exc
                continue
            return result
        raise FetchError(f"too many redirects (> {self.limits.max_redirects})")

    async def _get(self, url: str, headers: dict[str, str]) -> FetchResult:
        started = time.monotonic()
        try:
            async with self.client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status in _REDIRECTS or status == 304:
                    return FetchResult(status, url, headers=dict(response.headers))
                if status in _RETRY_STATUS:
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
                    raise RetryableError(f"HTTP {status}", retry_after=retry_after)
                if status >= 400:
                    raise FetchError(f"HTTP {status}")
                body = await self._read_body(response)
                return FetchResult(status, url, body=body, headers=dict(response.headers))
        except httpx.TimeoutException as exc:
            kind = type(exc).__name__
            raise RetryableError(f"{kind} after {time.monotonic() - started:.1f} s") from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            reason = redact_text(f"{type(exc).__name__}: {exc or 'connection failed'}")
            raise RetryableError(reason) from exc
        except httpx.HTTPError as exc:
            raise FetchError(redact_text(f"{type(exc).__name__}: {exc}")) from exc
        except httpx.InvalidURL as exc:
            raise FetchError(redact_text(f"invalid URL: {exc}")) from exc
        except RefusedURL as exc:
            # Raised by GuardedBackend at connect time (DNS changed since the check):
            # report it against the URL being fetched, not the bare host:port.
            raise RefusedURL(url, exc.reason) from exc

    async def _read_body(self, response: httpx.Response) -> bytes:
        limit = self.limits.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"body too large: Content-Length {declared} > limit {limit}")
        try:
            decoder = BoundedDecoder(response.headers.get("content-encoding", ""), limit)
        except ValueError as exc:
            raise FetchError(str(exc)) from exc
        raw = 0
        try:
            async for chunk in response.aiter_raw():
                raw += len(chunk)
                if raw > limit:
                    raise BodyTooLarge(f"body exceeds {limit} bytes while streaming")
                decoder.feed(chunk)
            return decoder.finish()
        except BodyTooLarge as exc:
            raise FetchError(f"body too large: {exc}") from exc
        except ValueError as exc:
            raise FetchError(str(exc)) from exc


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)
