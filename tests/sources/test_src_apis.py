"""Federal Register, Congress.gov and EDGAR sources, served from recorded-format fixtures."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from pw_feedserver import FeedServer, fast_limits

from bot.config import Settings
from bot.sources import Ingestor, MemorySourceStateStore, Parsed, SourceConfig, mask_url
from bot.sources.apis import (
    ApiError,
    congress_url,
    edgar_url,
    federal_register_url,
    parse_congress,
    parse_federal_register,
)


async def test_federal_register(feed_server: FeedServer, ingestor: Ingestor) -> None:
    source = SourceConfig(
        id="fr",
        kind="federal_register",
        name="Federal Register",
        url=feed_server.url("/fr.json"),
        params={"term": "clean vehicle", "agencies": ["treasury-department"]},
    )
    report = await ingestor.fetch_one(source)
    assert report.status == "ok", report.error
    first, second = report.items
    assert first.source_kind == "federal_register"
    assert first.url == (
        "https://www.federalregister.gov/documents/2026/02/02/2026-01234/"
        "section-30d-excluded-entities"
    )
    assert first.published == datetime(2026, 2, 2, tzinfo=UTC)
    assert first.summary.startswith("Rule · Treasury Department, Internal Revenue Service.")
    assert "<i>" not in first.summary and "excluded entities" in first.summary
    assert second.summary == "Notice · Industry and Security Bureau. connected vehicle hardware"
    query = parse_qs(feed_server.queries["/fr.json"])
    assert query["conditions[term]"] == ["clean vehicle"]
    assert query["conditions[agencies][]"] == ["treasury-department"]


def test_federal_register_query() -> None:
    source = SourceConfig(
        id="fr",
        kind="federal_register",
        params={"term": "Section 301", "agencies": ["a", "b"], "types": "RULE"},
    )
    parts = urlsplit(federal_register_url(source))
    assert parts.netloc == "www.federalregister.gov"
    query = parse_qs(parts.query)
    assert query["conditions[term]"] == ["Section 301"]
    assert query["conditions[agencies][]"] == ["a", "b"]
    assert query["conditions[type][]"] == ["RULE"]
    assert query["order"] == ["newest"]


def _congress_source(feed_server: FeedServer) -> SourceConfig:
    return SourceConfig(id="congress", kind="congress", url=feed_server.url("/congress.json"))


@asynccontextmanager
async def _congress_ingestor() -> AsyncIterator[Ingestor]:
    """An Ingestor made inside the test: it reads POLICYWATCH_CONGRESS_API_KEY
    when it is made, and the shared ``ingestor`` fixture is made before the
    test's ``monkeypatch`` sets or removes the key."""
    engine = Ingestor(
        Settings(allow_private_urls=True), MemorySourceStateStore(), limits=fast_limits()
    )
    try:
        yield engine
    finally:
        await engine.aclose()


async def test_congress_needs_a_key(
    feed_server: FeedServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, "policywatch.sources")
    monkeypatch.delenv("POLICYWATCH_CONGRESS_API_KEY", raising=False)
    async with _congress_ingestor() as engine:
        assert await engine.fetch_all([_congress_source(feed_server)]) == []
    assert "skipping source congress: disabled: POLICYWATCH_CONGRESS_API_KEY is not set" in (
        caplog.text
    )
    assert feed_server.hits["/congress.json"] == 0


async def test_congress_bills(
    feed_server: FeedServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("POLICYWATCH_CONGRESS_API_KEY", "sekrit-key-123")
    async with _congress_ingestor() as engine:
        (report,) = await engine.fetch_all([_congress_source(feed_server)])
    assert report.status == "ok", report.error
    assert [i.title for i in report.items] == [
        "H.R. 7001: Example Battery Supply Chain Security Act",
        "S. 3100: Example Clean Vehicle Credit Integrity Act",
    ]
    assert report.items[0].url == "https://www.congress.gov/bill/119th-congress/house-bill/7001"
    assert report.items[0].summary == (
        "Latest action (2026-01-29): Referred to the Committee on Ways and Means."
    )
    assert report.items[1].published == datetime(2026, 1, 28, 8, tzinfo=UTC)
    assert report.items[0].source_kind == "congress"
    sent = feed_server.headers["/congress.json"]
    assert sent["X-Api-Key"] == "sekrit-key-123"
    assert "sekrit" not in caplog.text


def test_congress_url_keeps_key_out() -> None:
    source = SourceConfig(id="c", kind="congress", params={"congress": 119, "limit": 20})
    url = congress_url(source)
    assert url.startswith("https://api.congress.gov/v3/bill/119?")
    assert "api_key" not in url and "limit=20" in url


def test_mask_url() -> None:
    masked = mask_url("https://api.example.gov/v3/bill?api_key=SECRET&format=json")
    assert "SECRET" not in masked and "api_key=***" in masked and "format=json" in masked


async def test_edgar_submissions(feed_server: FeedServer, ingestor: Ingestor) -> None:
    source = SourceConfig(
        id="edgar-ford",
        kind="edgar",
        name="SEC EDGAR — Ford",
        url=feed_server.url("/edgar.json"),
        params={"cik": 37996},
    )
    report = await ingestor.fetch_one(source)
    assert report.status == "ok", report.error
    assert [i.title for i in report.items] == [
        "FORD MOTOR CO 8-K: Results of Operations and Financial Condition; "
        "Financial Statements and Exhibits",
        "FORD MOTOR CO 8-K: Costs Associated with Exit or Disposal Activities; "
        "Material Impairments; Regulation FD Disclosure",
    ]
    first = report.items[0]
    assert first.url == (
        "https://www.sec.gov/Archives/edgar/data/37996/000003799626000010/f-20260203.htm"
    )
    assert first.published == datetime(2026, 2, 3, 16, 5, 12, tzinfo=UTC)
    assert first.source_kind == "sec"
    ua = feed_server.headers["/edgar.json"]["User-Agent"]
    assert "contact: tests@example.org" in ua


def test_edgar_url_and_politeness() -> None:
    source = SourceConfig(id="e", kind="edgar", params={"cik": 1318605})
    assert edgar_url(source) == "https://data.sec.gov/submissions/CIK0001318605.json"
    limits = fast_limits()
    assert limits.interval_for("data.sec.gov") >= 0.1  # ≤ 10 requests/second


async def test_api_body_that_is_not_json(feed_server: FeedServer, ingestor: Ingestor) -> None:
    source = SourceConfig(id="fr", kind="federal_register", url=feed_server.url("/rss.xml"))
    report = await ingestor.fetch_one(source)
    assert report.status == "error"
    assert report.error is not None and report.error.startswith("federal register: body is not")


@pytest.mark.parametrize(
    ("parse", "body", "message"),
    [
        (parse_federal_register, b'{"count": 0}', "federal register: no 'results' list"),
        (parse_federal_register, b"[]", "federal register: no 'results' list"),
        (parse_congress, b'{"bills": {}}', "congress.gov: no 'bills' list"),
    ],
)
def test_api_body_without_its_list(
    parse: Callable[[bytes, SourceConfig], Parsed], body: bytes, message: str
) -> None:
    source = SourceConfig(id="x", kind="congress")
    with pytest.raises(ApiError) as caught:
        parse(body, source)
    assert str(caught.value) == message


def test_api_rows_that_are_not_objects_are_skipped() -> None:
    body = b'{"bills": [7, "x", {"congress": 119, "number": "7001", "type": "HR"}]}'
    [bill] = parse_congress(body, SourceConfig(id="c", kind="congress")).items
    assert bill.title == "H.R. 7001"


def test_api_url_keeps_a_query_the_configured_url_has() -> None:
    source = SourceConfig(id="c", kind="congress", url="https://proxy.example/bill?tenant=a")
    assert congress_url(source).startswith("https://proxy.example/bill?tenant=a&format=json&")
    assert "sort=updateDate+desc" in congress_url(source)
