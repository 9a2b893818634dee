"""SSRF guard: refuse URLs whose host resolves to a non-public address.

Feed URLs come from admins and from redirects chosen by remote servers, so a URL
could point the bot at the cloud metadata service, the database on localhost or the
office network. The check runs on the addresses a name *resolves to* (a public name
can resolve to 10.0.0.1), before every hop, and again inside the connection backend
(``GuardedBackend``) so a DNS answer that changes between check and connect (DNS
rebinding) is caught too.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore

from bot.sources.redact import mask_url, redact_text

logger = logging.getLogger("policywatch.sources")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# A resolver maps a host name to address strings; sync or async so tests can inject a dict.
Resolver = Callable[[str], Iterable[str] | Awaitable[Iterable[str]]]
# An allowlist hook may accept (host, address) pairs the classifier would refuse.
AllowHook = Callable[[str, IPAddress], bool]

ALLOWED_SCHEMES = frozenset({"http", "https"})

_METADATA = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6 metadata
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    }
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class RefusedURL(Exception):
    """A URL the guard will not fetch; ``str()`` is the human reason."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"refused {mask_url(url)}: {redact_text(reason)}")
        self.url = url
        self.reason = reason
        self.requests = 0  # requests already made (earlier redirect hops)


class UnresolvedHost(Exception):
    """A host name DNS cannot resolve: no network, or a typo. Not a refusal:
    the guard refused nothing, so it is worded apart from :class:`RefusedURL`."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"could not resolve {host} ({reason})")
        self.host = host


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """IPv4 address tunnelled inside an IPv6 one (mapped, compatible, 6to4, Teredo, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client address is the one traffic is relayed to
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    packed = int(ip)
    if packed >> 32 == 0 and packed > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(packed)
    return None


def classify_address(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be fetched (e.g. ``"private address 10.0.0.1"``), or None if public."""
    if ip.version == 6 and isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = classify_address(inner)
            if reason is not None:
                return f"{reason} (embedded in {ip})"
            if ip.ipv4_mapped is not None:
                return None
    if ip in _METADATA:
        kind = "cloud metadata"
    elif ip.is_unspecified:
        kind = "unspecified"
    elif ip.is_loopback:
        kind = "loopback"
    elif ip.is_link_local:
        kind = "link-local"
    elif ip.is_multicast:
        kind = "multicast"
    elif isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        kind = "shared (carrier-grade NAT)"
    elif ip.is_reserved:
        kind = "reserved"
    elif ip.is_private:
        kind = "private"
    elif not ip.is_global:
        kind = "non-global"
    else:
        return None
    return f"{kind} address {ip}"


def literal_address(host: str) -> IPAddress | None:
    """The address a host string denotes by itself, including legacy forms like ``0x7f.1``.

    ``getaddrinfo`` accepts ``2130706433`` and ``127.1`` as IPv4, so they must be
    classified as addresses, not sent to DNS as names.
    """
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if text and all(c in "0123456789abcdefxABCDEFX." for c in text) and text[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


async def system_resolver(host: str) -> list[str]:
    """Resolve with the event loop's getaddrinfo (non-blocking)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class AddressGuard:
    """Resolves hosts and refuses non-public addresses unless allowed.

    ``enabled=False`` (``Settings.allow_private_urls``) skips classification but still
    uses the injected resolver, so tests can map names like ``feeds.test``.
    """

    def __init__(
        self,
        *,
        enabled: bool = True,
        resolver: Resolver | None = None,
        allow: AllowHook | None = None,
    ) -> None:
        self.enabled = enabled
        self.resolver: Resolver = resolver or system_resolver
        self.custom_resolver = resolver is not None
        self.allow = allow

    async def resolve(self, host: str) -> list[str]:
        """Addresses for ``host``; literal addresses are returned as they are."""
        literal = literal_address(host)
        if literal is not None:
            return [str(literal)]
        result = self.resolver(host)
        if inspect.isawaitable(result):
            result = await result
        addresses = [str(a) for a in result]
        if not addresses:
            raise OSError(f"no addresses for {host}")
        return addresses

    def _verdict(self, host: str, address: str) -> str | None:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        reason = classify_address(ip)
        if reason is None or (self.allow is not None and self.allow(host, ip)):
            return None
        return reason

    async def checked_addresses(self, host: str, url: str) -> list[str]:
        """Resolve ``host`` and return its addresses, or raise RefusedURL
        (or UnresolvedHost when DNS has no answer).

        Refuses when *any* address is non-public: an attacker's name that returns one
        public and one private address must not get a chance to reach the private one.
        """
        literal = literal_address(host) is not None
        try:
            addresses = await self.resolve(host)
        except (OSError, UnicodeError) as exc:
            why = str(exc.strerror) if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise UnresolvedHost(host, why) from exc
        if not self.enabled:
            return addresses
        for address in addresses:
            reason = self._verdict(host, address)
            if reason is not None:
                raise RefusedURL(url, reason if literal else f"resolves to {reason}")
        return addresses

    async def check_url(self, url: str) -> None:
        """Refuse non-http(s) schemes and hosts that resolve to non-public addresses.

        With the guard disabled and no custom resolver nothing is resolved here, so
        tests with mock transports never touch real DNS.
        """
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            raise RefusedURL(url, f"scheme {parts.scheme or '(none)'!r} is not http/https")
        if not parts.hostname:
            raise RefusedURL(url, "no host")
        if parts.username or parts.password:
            raise RefusedURL(url, "credentials in URL are not allowed")
        if self.enabled:
            await self.checked_addresses(parts.hostname, url)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that resolves through the guard and connects to the checked IP.

    TLS still verifies the certificate against the original host name (httpcore passes
    the URL host as ``server_hostname``), so pinning the IP costs no security.
    """

    def __init__(self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend | None = None):
        self.guard = guard
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.guard.checked_addresses(host, f"//{host}:{port}")
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed for feeds")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
