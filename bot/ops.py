"""Operations endpoints for ``policywatch run`` (when ``POLICYWATCH_OPS_PORT`` is set):
``GET /healthz`` (the process is up), ``GET /readyz`` (the database answers)
and ``GET /metrics`` in the Prometheus text format.

Counters live in this process (:data:`METRICS`); queue depth and item counts
are read from the database at scrape time, so every replica reports the
shared truth for those.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Protocol

from aiohttp import web

log = logging.getLogger("policywatch.ops")

COUNTERS = {
    "policywatch_items_ingested_total": "New items stored.",
    "policywatch_matches_total": "Watchlist and company matches recorded for new items.",
    "policywatch_messages_sent_total": "Digests and alerts delivered to a platform.",
    "policywatch_messages_failed_total": "Digests and alerts given up on (permanent errors).",
    "policywatch_messages_retried_total": "Send attempts that will be retried.",
    "policywatch_fetch_errors_total": "Source fetches that failed.",
    "policywatch_commands_total": "Chat commands handled.",
}


class Metrics:
    """Process-local counters; names must be listed in :data:`COUNTERS`."""

    def __init__(self) -> None:
        self.values: Counter[str] = Counter()

    def inc(self, name: str, amount: int = 1) -> None:
        if name not in COUNTERS:
            raise KeyError(f"unknown metric {name}")
        self.values[name] += amount


METRICS = Metrics()


class Gauges(Protocol):
    """What the endpoints read at scrape time: the store, which every replica
    shares. Declared here so this module measures without knowing the facade."""

    async def outbox_counts(self) -> dict[str, int]: ...

    async def item_count(self) -> int: ...


async def render_metrics(gauges: Gauges) -> str:
    lines: list[str] = []
    for name, help_text in COUNTERS.items():
        lines += [
            f"# HELP {name} {help_text}",
            f"# TYPE {name} counter",
            f"{name} {METRICS.values[name]:g}",
        ]
    lines += [
        "# HELP policywatch_outbox_messages Outbox messages by status.",
        "# TYPE policywatch_outbox_messages gauge",
    ]
    for status, count in sorted((await gauges.outbox_counts()).items()):
        lines.append(f'policywatch_outbox_messages{{status="{status}"}} {count}')
    lines += [
        "# HELP policywatch_items Items stored.",
        "# TYPE policywatch_items gauge",
        f"policywatch_items {await gauges.item_count()}",
    ]
    return "\n".join(lines) + "\n"


def ops_app(gauges: Gauges) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(request: web.Request) -> web.Response:
        try:
            await gauges.item_count()
        except Exception as exc:  # the database is what "ready" depends on
            log.warning("not ready: %s", type(exc).__name__)
            return web.Response(status=503, text="database unavailable\n")
        return web.Response(text="ready\n")

    async def metrics(request: web.Request) -> web.Response:
        body = await render_metrics(gauges)
        return web.Response(
            text=body,
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


async def start_ops(gauges: Gauges, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(ops_app(gauges), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("ops endpoints on %s:%s", host, port)
    return runner
