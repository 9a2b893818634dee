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
from urllib.parse import urljoin

import httpx

from bot import __version__
from bot.config import Settings
from bot.models import Item
from bot.sources import apis
from bot.sources.config import SourceConfig
from bot.sources.feeds import FeedError, parse_feed
from bot.sources.fetch import Fetcher, FetchError, FetchResult
from bot.sources.limits import FetchLimits
from bot.sources.outcome import Parsed
from bot.sources.redact import redact_text
from bot.sources.ssrf import AddressGuard, AllowHook, RefusedURL, Resolver
from bot.sources.state import SourceStateStore
from bot.store.records import SourceState

logger = logging.getLogger("policywatch.sources")

CONGRESS_KEY_ENV = "POLICYWATCH_CONGRESS_API_KEY"
Status = Literal["ok", "not_modified", "error", "skipped"]
# How long a replica may hold a feed before another may fetch it (a crash mid-fetch).
FETCH_LEASE = timedelta(minutes=5)
# Congress.gov list entries without a title: bill-endpoint lookups per fetch (the rest
# wait for the next fetch) and titles remembered (a bill's title does not change).
MAX_TITLE_LOOKUPS = 20
MAX_CACHED_TITLES = 10_000


@dataclass
class FetchReport:
    """Outcome of fetching one source, for the CLI summary and the scheduler."""

    source_id: str
    status: Status
    items: list[Item] = field(default_factory=list)
    error: str | None = None
    requests: int = 0
    elapsed_s: float = 0.0
    notes: str | None = None  # entries dropped and why, encoding guessed, … (Parsed.describe)


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
        self._bill_titles: dict[str, str] = {}
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

    async def probe(self, source: SourceConfig) -> tuple[str, list[Item]]:
        """Fetch and parse a source once, recording nothing: what `source add`
        shows before it saves. Returns the feed format ("RSS", "Atom", "RDF")
        and its items; raises RefusedURL, FetchError or FeedError with the reason."""
        url, headers = self._request(source)
        result = await self.fetcher.fetch(url, headers=headers)
        items = (await self._parse(source, result)).items
        head = result.body[:4096].lower()
        kind = next(
            (
                name
                for tag, name in ((b"<rss", "RSS"), (b"<feed", "Atom"), (b"<rdf", "RDF"))
                if tag in head
            ),
            "feed",
        )
        return kind, items

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

    async def _parse(self, source: SourceConfig, result: FetchResult) -> Parsed:
        limit = min(source.max_items or self.limits.max_items, self.limits.max_items)
        if source.kind == "federal_register":
            parsed = apis.parse_federal_register(result.body, source)
        elif source.kind == "congress":
            titles = await self._bill_titles_for(apis.untitled_bills(result.body, result.url))
            parsed = apis.parse_congress(result.body, source, titles)
        elif source.kind == "edgar":
            parsed = apis.parse_edgar(result.body, source)
        else:
            parsed = parse_feed(
                result.body,
                source=source.name,
                source_kind=source.source_kind,
                content_type=result.headers.get("content-type", ""),
                base_url=urljoin(result.url, result.headers.get("content-location", "")),
                limit=limit + 1,
            )
        parsed.items = _dedupe(parsed.items)
        if len(parsed.items) > limit:
            parsed.notes.append(f"kept the first {limit} items of more")
            parsed.items = parsed.items[:limit]
        return parsed

    async def _bill_titles_for(self, wanted: dict[str, str]) -> dict[str, str]:
        """Titles of untitled Congress.gov list entries, from the bill endpoint (cached)."""
        headers = {"Accept": "application/json", "X-Api-Key": self.congress_api_key or ""}
        missing = [(key, url) for key, url in wanted.items() if key not in self._bill_titles]
        for key, url in missing[:MAX_TITLE_LOOKUPS]:
            try:
                result = await self.fetcher.fetch(url, headers=headers)
                title = apis.answer_bill_title(result.body)
            except (FetchError, RefusedURL, apis.ApiError) as exc:
                logger.info("no title for bill %s: %s", key, redact_text(str(exc)))
                continue
            if len(self._bill_titles) >= MAX_CACHED_TITLES:
                self._bill_titles.clear()
            if title:
                self._bill_titles[key] = title
        return {key: self._bill_titles[key] for key in wanted if key in self._bill_titles}

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
            notes = state.notes
            if result.not_modified:
                status: Status = "not_modified"
                items: list[Item] = []
            else:
                status = "ok"
                parsed = await self._parse(source, result)
                items, notes = parsed.items, parsed.describe()
                state.notes = notes
                # Validators are stored only after a successful parse, so a bad body
                # is fetched again next time instead of being "not modified" forever.
                state.etag = result.headers.get("etag") or None
                state.last_modified = result.headers.get("last-modified") or None
                state.item_count = len(items)
        except RefusedURL as exc:
            error = str(exc)  # masked by RefusedURL; logged once by the fetcher
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
            elapsed = time.monotonic() - started
            return FetchReport(source.id, status, items, None, requests, elapsed, notes)
        error = redact_text(error)
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


_JSON_SUFFIXES = (".jsonl", ".json", ".ndjson")


def parse_file(path: Path | str) -> Parsed:
    """Items from a local file for ``policywatch ingest --file``: a saved Federal
    Register, Congress.gov or EDGAR answer (told by its shape), JSONL items, or a feed.
    A ValueError says what is wrong (the caller names the file; JSONL errors add the line).

    The feed path goes through the same DTD refusal and normalisation as fetched feeds;
    a saved API answer gives the same items as the live source.
    """
    target = Path(path)
    data = target.read_bytes()
    if target.suffix.lower() in _JSON_SUFFIXES or data.lstrip().startswith((b"{", b"[")):
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            doc = None  # several lines of JSON: JSONL
        kind = apis.answer_kind(doc)
        if kind is not None:
            try:
                parsed = apis.parse_answer(data, kind, target.name)
            except apis.ApiError as exc:
                raise ValueError(str(exc)) from None
            parsed.items = _dedupe(parsed.items)
            return parsed
        if doc is not None and len(data.strip().splitlines()) > 1:
            raise ValueError(
                "JSON that is neither JSONL items nor a saved Federal Register, "
                "Congress.gov or EDGAR answer"
            )
        return Parsed(_dedupe(_jsonl_items(target, data)))
    try:
        parsed = parse_feed(data, source=target.name, source_kind="news")
    except FeedError as exc:
        raise ValueError(str(exc)) from None
    parsed.items = _dedupe(parsed.items)
    return parsed


def _jsonl_items(target: Path, data: bytes) -> list[Item]:
    items: list[Item] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{target}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(Item.from_json(json.loads(line)))
        except (json.JSONDecodeError, ValueError) as exc:
            raise ValueError(f"{target}:{number}: {exc}") from None
    return items
