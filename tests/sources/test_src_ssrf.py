"""SSRF guard: literal addresses, names via an injected resolver, and redirect hops.

No real DNS is used and no traffic leaves 127.0.0.0/8: refused targets are refused
before any connection, and the transports here fail loudly if they are reached.
"""

from __future__ import annotations

import ipaddress
import logging

import httpx
import pytest
from pw_feedserver import FeedServer, fast_limits

from bot.config import Settings
from bot.sources import (
    AddressGuard,
    Ingestor,
    MemorySourceStateStore,
    RefusedURL,
    SourceConfig,
    classify_address,
    mask_url,
)
from bot.sources.ssrf import IPAddress, UnresolvedHost, literal_address

LOGGER = "policywatch.sources"


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback address 127.0.0.1"),
        ("127.8.9.10", "loopback address 127.8.9.10"),
        ("10.1.2.3", "private address 10.1.2.3"),
        ("172.16.0.1", "private address 172.16.0.1"),
        ("172.31.255.254", "private address 172.31.255.254"),
        ("192.168.1.1", "private address 192.168.1.1"),
        ("169.254.169.254", "cloud metadata address 169.254.169.254"),
        ("169.254.1.1", "link-local address 169.254.1.1"),
        ("0.0.0.0", "unspecified address 0.0.0.0"),
        ("100.64.0.1", "shared (carrier-grade NAT) address 100.64.0.1"),
        ("224.0.0.1", "multicast address 224.0.0.1"),
        ("240.0.0.1", "reserved address 240.0.0.1"),
        ("255.255.255.255", "reserved address 255.255.255.255"),
        ("::1", "loopback address ::1"),
        ("::", "unspecified address ::"),
        ("fe80::1", "link-local address fe80::1"),
        ("fc00::1", "private address fc00::1"),
        ("fd00:ec2::254", "cloud metadata address fd00:ec2::254"),
        ("ff02::1", "multicast address ff02::1"),
        ("::ffff:10.0.0.1", "private address 10.0.0.1 (embedded in ::ffff:a00:1)"),
        ("::ffff:127.0.0.1", "loopback address 127.0.0.1 (embedded in ::ffff:7f00:1)"),
        ("::ffff:169.254.169.254", "cloud metadata address 169.254.169.254 (embedded in"),
        ("2002:7f00:1::", "loopback address 127.0.0.1 (embedded in 2002:7f00:1::)"),
        ("2002:a9fe:a9fe::1", "cloud metadata address 169.254.169.254 (embedded in"),
        ("64:ff9b::a00:1", "private address 10.0.0.1 (embedded in 64:ff9b::a00:1)"),
        ("::7f00:1", "loopback address 127.0.0.1 (embedded in ::7f00:1)"),
    ],
)
def test_refused_addresses(address: str, reason: str) -> None:
    verdict = classify_address(ipaddress.ip_address(address))
    assert verdict is not None and verdict.startswith(reason)


def test_teredo_embedded_client_is_checked() -> None:
    # Teredo client 127.0.0.1 is stored XOR-ed with 0xffffffff in the last 32 bits.
    teredo = ipaddress.IPv6Address("2001:0:4136:e378:8000:63bf:80ff:fffe")
    verdict = classify_address(teredo)
    assert verdict is not None and verdict.startswith("loopback address 127.0.0.1")


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert classify_address(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("127.1", "127.0.0.1")],
)
def test_legacy_ipv4_spellings_are_addresses(host: str, address: str) -> None:
    assert str(literal_address(host)) == address


def fake_dns(table: dict[str, list[str]]) -> tuple[list[str], object]:
    calls: list[str] = []

    def resolve(host: str) -> list[str]:
        calls.append(host)
        return table.get(host, [])

    return calls, resolve


async def test_a_name_dns_cannot_resolve_is_not_called_a_refusal() -> None:
    _calls, resolve = fake_dns({})
    guard = AddressGuard(resolver=resolve)  # type: ignore[arg-type]
    with pytest.raises(UnresolvedHost) as info:
        await guard.check_url("http://nowhere.test/")
    assert str(info.value) == "could not resolve nowhere.test (no addresses for nowhere.test)"
    assert "refused" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://intranet.test/feed", "resolves to private address 10.0.0.1"),
        ("http://mixed.test/feed", "resolves to private address 192.168.0.7"),
        ("https://v6.test/feed", "resolves to loopback address ::1"),
        ("http://169.254.169.254/latest", "cloud metadata address 169.254.169.254"),
        ("http://[::ffff:127.0.0.1]/", "loopback address 127.0.0.1 (embedded in ::ffff:7f00:1)"),
        ("http://2130706433/", "loopback address 127.0.0.1"),
        ("file:///etc/passwd", "scheme 'file' is not http/https"),
        ("gopher://public.test/", "scheme 'gopher' is not http/https"),
        ("http://user:pw@public.test/", "credentials in URL are not allowed"),
    ],
)
async def test_guard_refuses_urls(url: str, reason: str) -> None:
    _calls, resolve = fake_dns(
        {
            "intranet.test": ["10.0.0.1"],
            "mixed.test": ["93.184.216.34", "192.168.0.7"],
            "v6.test": ["::1"],
            "public.test": ["93.184.216.34"],
        }
    )
    guard = AddressGuard(resolver=resolve)  # type: ignore[arg-type]
    with pytest.raises(RefusedURL) as info:
        await guard.check_url(url)
    assert info.value.reason == reason
    assert str(info.value) == f"refused {mask_url(url)}: {reason}"
    assert ":pw@" not in str(info.value)


async def test_guard_passes_public_names_and_async_resolvers() -> None:
    async def resolve(host: str) -> list[str]:
        return ["93.184.216.34"]

    guard = AddressGuard(resolver=resolve)
    await guard.check_url("https://www.federalregister.gov/api/v1/documents.json")


def refuse_transport() -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request may be sent, got {request.url}")

    return httpx.MockTransport(handler)


async def test_private_name_refused_before_any_request(caplog: pytest.LogCaptureFixture) -> None:
    _, resolve = fake_dns({"intranet.test": ["10.0.0.1"]})
    engine = Ingestor(
        Settings(),
        MemorySourceStateStore(),
        transport=refuse_transport(),
        resolver=resolve,  # type: ignore[arg-type]
        limits=fast_limits(),
    )
    source = SourceConfig(id="evil", url="https://intranet.test/rss")
    try:
        report = await engine.fetch_one(source)
    finally:
        await engine.aclose()
    assert report.status == "error" and report.requests == 0
    expected = "refused https://intranet.test/rss: resolves to private address 10.0.0.1"
    assert report.error == expected
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")] == [
        expected
    ]


def allow_feeds_test(host: str, address: IPAddress) -> bool:
    """Allowlist hook: only the test server's name, only on loopback."""
    return host == "feeds.test" and address.is_loopback


async def test_redirect_to_metadata_refused_before_connecting(
    feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    calls, resolve = fake_dns({"feeds.test": ["127.0.0.1"]})
    engine = Ingestor(
        Settings(allow_private_urls=False),
        MemorySourceStateStore(),
        resolver=resolve,  # type: ignore[arg-type]
        allow=allow_feeds_test,
        limits=fast_limits(),
    )
    ok = SourceConfig(id="ok", url=feed_server.url("/rss.xml", host="feeds.test"))
    bad = SourceConfig(id="bad", url=feed_server.url("/to-metadata", host="feeds.test"))
    try:
        reports = {r.source_id: r for r in await engine.fetch_all([ok, bad])}
    finally:
        await engine.aclose()
    assert reports["ok"].status == "ok" and len(reports["ok"].items) == 3
    assert feed_server.headers["/rss.xml"]["Host"] == f"feeds.test:{feed_server.port}"
    bad_report = reports["bad"]
    assert bad_report.status == "error" and bad_report.requests == 1
    reason = "refused http://169.254.169.254/latest: cloud metadata address 169.254.169.254"
    assert bad_report.error == reason
    assert reason in caplog.text
    assert set(calls) == {"feeds.test"}  # the metadata literal never reached a resolver


async def test_dns_rebinding_caught_at_connect(
    feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """First answer public (pre-flight passes), second answer loopback (connect refuses)."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])

    def rebinding(host: str) -> list[str]:
        return next(answers)

    engine = Ingestor(
        Settings(),
        MemorySourceStateStore(),
        resolver=rebinding,
        limits=fast_limits(max_attempts=1),
    )
    source = SourceConfig(id="rebind", url=feed_server.url("/rss.xml", host="rebind.test"))
    try:
        report = await engine.fetch_one(source)
    finally:
        await engine.aclose()
    assert report.status == "error"
    assert report.error is not None
    assert "resolves to loopback address 127.0.0.1" in report.error
    assert feed_server.hits["/rss.xml"] == 0
    refused = f"refused http://rebind.test:{feed_server.port}/rss.xml: resolves to loopback"
    assert refused in caplog.text


async def test_allow_private_urls_lifts_the_guard() -> None:
    guard = AddressGuard(enabled=False)
    await guard.check_url("http://10.0.0.1/feed")  # no resolver call, no refusal
    with pytest.raises(RefusedURL):
        await guard.check_url("ftp://10.0.0.1/feed")  # schemes are still checked
