"""The Ingestor: fetch every due source concurrently and keep each one's health.

It is the only place that knows about schedules and state; fetching, parsing and
normalising are delegated. A failing source is recorded (reason, time, failure
count, backoff) and never stops the others.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import httpx

from bot import __version__
from bot.config import Settings
from bot.models import Item
from bot.sources import apis
from bot.sources.config import SourceConfig
from bot.sources.feeds import FeedError, parse_feed
from bot.sources.fetch import Fetcher, FetchError, FetchResult, mask_url
from bot.sources.limits import FetchLimits
from bot.sources.ssrf import AddressGuard, AllowHook, RefusedURL, Resolver
from bot.sources.state import SourceStateStore
from bot.store.records import SourceState

logger = logging.getLogger("policywatch.sources")

CONGRESS_KEY_ENV = "POLICYWATCH_CONGRESS_API_KEY"
Status = Literal["ok", "not_modified", "error", "skipped"]
# How long a replica may hold a feed before another may fetch it (a crash mid-fetch).
FETCH_LEASE = timedelta(minutes=5)


@dataclass
class FetchReport:
    """Outcome of fetching one source, for the CLI summary and the scheduler."""

    source_id: str
    status: Status
    items: list[Item] = field(default_factory=list)
    error: str | None = None
    requests: int = 0
    elapsed_s: float = 0.0


def _dedupe(items: list[Item]) -> list[Item]:
    """Drop repeats within one fetch (same id, i.e. same canonical URL or guid)."""
    seen: set[str] = set()
    urls: set[str] = set()
    kept: list[Item] = []
    for item in items:
        if item.id in seen or (item.url and item.url in urls):
            continue
        seen.add(item.id)
        if item.url:
            urls.add(item.url)
        kept.append(item)
    return kept


def disabled_reason(source: SourceConfig, congress_api_key: str | None) -> str | None:
    """Why a source will not be fetched, or None when it can be."""
    if not source.enabled:
        return "disabled in the sources file"
    if source.kind == "congress" and not congress_api_key:
        return f"disabled: {CONGRESS_KEY_ENV} is not set"
    return None


def user_agent(settings: Settings) -> str:
    """Descriptive User-Agent with a contact, as SEC EDGAR's fair-access policy requires."""
    return f"policywatch/{__version__} (+policy news monitor; contact: {settings.contact})"


class Ingestor:
    """Fetches sources with shared limits, politeness and state."""

    def __init__(
        self,
        settings: Settings,
        state: SourceStateStore,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
        limits: FetchLimits | None = None,
        allow: AllowHook | None = None,
        congress_api_key: str | None = None,
    ) -> None:
        self.settings = settings
        self.state = state
        self.limits = limits or FetchLimits()
        self.guard = AddressGuard(
            enabled=not settings.allow_private_urls, resolver=resolver, allow=allow
        )
        self.fetcher = Fetcher(
            user_agent=user_agent(settings),
            guard=self.guard,
            limits=self.limits,
            transport=transport,
        )
        self.congress_api_key = (
            congress_api_key
            or getattr(settings, "congress_api_key", None)
            or os.environ.get(CONGRESS_KEY_ENV)
            or None
        )
        self._semaphore = asyncio.Semaphore(self.limits.max_concurrency)
        self._warned_contact = False
        self._source_locks: dict[str, asyncio.Lock] = {}
        self.owner = f"{socket.gethostname()}:{os.getpid()}"

    async def aclose(self) -> None:
        await self.fetcher.aclose()

    async def __aenter__(self) -> Ingestor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def disabled_reason(self, source: SourceConfig) -> str | None:
        """Why a source will not be fetched now, or None when it can be."""
        return disabled_reason(source, self.congress_api_key)

    async def fetch_all(
        self,
        sources: list[SourceConfig],
        *,
        only_due: bool = False,
        now: datetime | None = None,
    ) -> list[FetchReport]:
        """Fetch enabled (and, with ``only_due``, due) sources concurrently."""
        moment = now or datetime.now(UTC)
        chosen: list[SourceConfig] = []
        for source in sources:
            reason = self.disabled_reason(source)
            if reason is not None:
                logger.info("skipping source %s: %s", source.id, reason)
                continue
            if only_due:
                state = await self.state.get_state(source.id)
                if state is not None and not state.is_due(moment):
                    continue
            chosen.append(source)
        return list(await asyncio.gather(*(self.fetch_one(s) for s in chosen)))

    async def fetch_one(self, source: SourceConfig) -> FetchReport:
        """Fetch, parse and record one source; never raises for a source's own failure."""
        lock = self._source_locks.setdefault(source.id, asyncio.Lock())
        async with self._semaphore, lock:
            until = datetime.now(UTC) + FETCH_LEASE
            if not await self.state.claim_source(source.id, self.owner, until):
                logger.info("source %s is being fetched by another replica", source.id)
                return FetchReport(source.id, "skipped")
            try:
                return await self._fetch_locked(source)
            finally:
                await self.state.release_source(source.id, self.owner)

    def _request(self, source: SourceConfig) -> tuple[str, dict[str, str]]:
        if source.kind == "federal_register":
            return apis.federal_register_url(source), {"Accept": "application/json"}
        if source.kind == "congress":
            key = self.congress_api_key or ""
            return apis.congress_url(source), {"Accept": "application/json", "X-Api-Key": key}
        if source.kind == "edgar":
            if "@" not in self.settings.contact and not self._warned_contact:
                # SEC blocks anonymous clients; say so once instead of failing mysteriously.
                self._warned_contact = True
                logger.warning("SEC EDGAR wants a contact email: set POLICYWATCH_CONTACT")
            return apis.edgar_url(source), {"Accept": "application/json"}
        assert source.url is not None
        accept = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
        return source.url, {"Accept": accept}

    def _parse(self, source: SourceConfig, result: FetchResult) -> list[Item]:
        limit = min(source.max_items or self.limits.max_items, self.limits.max_items)
        if source.kind == "federal_register":
            items = apis.parse_federal_register(result.body, source)
        elif source.kind == "congress":
            items = apis.parse_congress(result.body, source)
        elif source.kind == "edgar":
            items = apis.parse_edgar(result.body, source)
        else:
            items = parse_feed(
                result.body,
                source=source.name,
                source_kind=source.source_kind,
                content_type=result.headers.get("content-type", ""),
                limit=limit + 1,
            )
        items = _dedupe(items)
        if len(items) > limit:
            logger.info("source %s: kept first %d items of %d+", source.id, limit, len(items))
            items = items[:limit]
        return items

    async def _fetch_locked(self, source: SourceConfig) -> FetchReport:
        started = time.monotonic()
        state = await self.state.get_state(source.id) or SourceState(source_id=source.id)
        reason = self.disabled_reason(source)
        if reason is not None:
            return FetchReport(source.id, "error", error=reason)
        requests = 0
        retry_after: float | None = None
        try:
            url, headers = self._request(source)
            result = await self.fetcher.fetch(
                url, headers=headers, etag=state.etag, last_modified=state.last_modified
            )
            requests = result.requests
            if result.not_modified:
                status: Status = "not_modified"
                items: list[Item] = []
            else:
                status = "ok"
                items = self._parse(source, result)
                # Validators are stored only after a successful parse, so a bad body
                # is fetched again next time instead of being "not modified" forever.
                state.etag = result.headers.get("etag") or None
                state.last_modified = result.headers.get("last-modified") or None
                state.item_count = len(items)
        except RefusedURL as exc:
            error = f"refused {mask_url(exc.url)}: {exc.reason}"  # logged once by the fetcher
            requests = exc.requests
        except FetchError as exc:
            error = exc.reason
            retry_after = exc.retry_after
            requests = exc.requests
        except (FeedError, apis.ApiError) as exc:
            error = str(exc)
        except Exception as exc:  # a bug or surprise in one source must not stop the others
            logger.exception("source %s: unexpected error", source.id)
            error = f"unexpected {type(exc).__name__}: {exc}"
        else:
            now = datetime.now(UTC)
            state.last_success = now
            state.consecutive_failures = 0
            state.last_error = None
            state.next_fetch_at = now + timedelta(minutes=source.interval_minutes)
            await self.state.save_state(state)
            return FetchReport(source.id, status, items, None, requests, time.monotonic() - started)
        logger.warning("source %s failed: %s", source.id, error)
        now = datetime.now(UTC)
        state.last_error = error
        state.last_error_at = now
        state.consecutive_failures += 1
        backoff = min(
            source.interval_minutes * 2 ** min(state.consecutive_failures - 1, 16),
            self.limits.max_failure_backoff_minutes,
        )
        delay = timedelta(minutes=backoff)
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=retry_after))
        state.next_fetch_at = now + delay
        await self.state.save_state(state)
        return FetchReport(source.id, "error", [], error, requests, time.monotonic() - started)


def parse_file(path: Path | str) -> list[Item]:
    """Items from a local file for ``policywatch ingest --file``: JSONL or RSS/Atom XML.

    The XML path goes through the same DTD refusal and normalisation as fetched feeds.
    """
    target = Path(path)
    data = target.read_bytes()
    stripped = data.lstrip()
    if target.suffix.lower() in (".jsonl", ".json", ".ndjson") or stripped.startswith(b"{"):
        items: list[Item] = []
        for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append(Item.from_json(json.loads(line)))
            except (json.JSONDecodeError, ValueError) as exc:
                raise ValueError(f"{target}:{number}: {exc}") from None
        return _dedupe(items)
    try:
        return _dedupe(parse_feed(data, source=target.name, source_kind="news"))
    except FeedError as exc:
        raise ValueError(f"{target}: {exc}") from None
