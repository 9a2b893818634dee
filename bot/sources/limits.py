"""Resource limits for fetching untrusted feeds, and a decoder that enforces them.

Every number here bounds what one hostile or broken server can cost us: time,
memory (compressed and decompressed), items, redirects and retries.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field


def _default_host_intervals() -> dict[str, float]:
    # SEC asks for at most 10 requests/second per client (EDGAR fair-access policy).
    return {"data.sec.gov": 0.11, "www.sec.gov": 0.11, "efts.sec.gov": 0.11}


@dataclass(frozen=True)
class FetchLimits:
    """Timeouts, sizes and politeness knobs; tests and the benchmark shrink them."""

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_items: int = 500
    max_redirects: int = 5
    max_attempts: int = 3
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    backoff_jitter: float = 1.0
    max_retry_after: float = 120.0
    max_concurrency: int = 8
    host_min_interval: float = 1.0
    host_intervals: dict[str, float] = field(default_factory=_default_host_intervals)
    max_failure_backoff_minutes: int = 24 * 60

    def interval_for(self, host: str) -> float:
        """Minimum gap between two requests to ``host`` (per-host politeness)."""
        return self.host_intervals.get(host.lower(), self.host_min_interval)


class BodyTooLarge(Exception):
    """The body (raw or decompressed) went over ``FetchLimits.max_bytes``."""


class BoundedDecoder:
    """Incremental Content-Encoding decoder that never inflates past ``limit`` bytes.

    httpx's own decoder inflates each network chunk in one go, so a 64 KiB chunk of a
    gzip bomb can become ~64 MiB before anyone can count it. Here ``max_length`` caps
    every inflate step, so memory stays at about ``limit`` whatever the ratio.
    """

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._parts: list[bytes] = []
        enc = encoding.strip().lower()
        if enc in ("", "identity"):
            self._inflater = None
        elif enc in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS)
        else:
            raise ValueError(f"unsupported content-encoding {encoding!r}")
        self._encoding = enc

    def _append(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise BodyTooLarge(f"body exceeds {self.limit} bytes after decompression")
        if data:
            self._parts.append(data)

    def feed(self, chunk: bytes) -> None:
        """Add one raw chunk; raises BodyTooLarge as soon as the limit is crossed."""
        if self._inflater is None:
            self._append(chunk)
            return
        data = chunk
        while data:
            room = self.limit - self.size + 1
            try:
                out = self._inflater.decompress(data, room)
            except zlib.error as exc:
                raise ValueError(f"corrupt {self._encoding} body: {exc}") from exc
            self._append(out)
            data = self._inflater.unconsumed_tail
            if self._inflater.eof and self._inflater.unused_data:
                # A new gzip member follows (concatenated gzip is legal).
                data = self._inflater.unused_data
                self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def finish(self) -> bytes:
        """All decoded bytes; flushes what the inflater still holds (within the limit)."""
        if self._inflater is not None:
            self._append(self._inflater.flush())
        return b"".join(self._parts)
