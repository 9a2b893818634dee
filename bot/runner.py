"""``policywatch run``: start every adapter whose credentials are set (the
console when none are) and the background jobs, and stop them together.

Background jobs run on APScheduler's asyncio scheduler. They are derived from
the database on every tick rather than kept in a job store: the digest tick
asks which subscriptions are due now (see :mod:`bot.digests.schedule`), so a
restart or a missed run needs no bookkeeping of its own.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings
from bot.coordination import Leadership, leadership_for
from bot.core import PolicyWatch
from bot.delivery import Courier
from bot.digests.sender import OutboxSender, Pacing
from bot.ops import start_ops

log = logging.getLogger("policywatch.run")
DIGEST_TICK_SECONDS = 30
ADAPTER_GROUP = "policywatch.adapters"  # entry points: platform name -> adapter class
AdapterFactory = Callable[[PolicyWatch, Settings], Courier]


def adapter_factory(platform: str) -> AdapterFactory:
    """The installed adapter class for ``platform``, found through the
    ``policywatch.adapters`` entry points, so the core never imports a platform
    and a new platform is one adapter module plus one entry point."""
    found = entry_points(group=ADAPTER_GROUP, name=platform)
    if not found:
        raise RuntimeError(
            f"no '{platform}' adapter is installed (entry point group {ADAPTER_GROUP}); "
            "reinstall policywatch"
        )
    factory: AdapterFactory = next(iter(found)).load()
    return factory


def enabled_adapters(core: PolicyWatch, *, include_console: bool = False) -> list[Courier]:
    """Adapters whose credentials are set; the console when there are none
    (or always, with ``include_console``, for delivering console digests)."""
    settings = core.settings
    wanted = [
        name
        for name, enabled in (
            ("slack", settings.slack_enabled),
            ("discord", settings.discord_enabled),
        )
        if enabled
    ]
    if include_console or not wanted:
        wanted.append("console")
    return [adapter_factory(name)(core, settings) for name in wanted]


class Jobs:
    """The periodic work of a running bot: fetch due sources, build due digests, send."""

    def __init__(
        self,
        core: PolicyWatch,
        adapters: list[Courier],
        *,
        leadership: Leadership | None = None,
        pacing: Pacing | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``leadership``, ``pacing`` and ``clock`` are for tests that run
        replicas on a fast schedule clock; the defaults are production's."""
        self.core = core
        lease = timedelta(seconds=core.settings.outbox_lease_seconds)
        adapters_by_platform = {a.platform: a for a in adapters}
        self.sender = OutboxSender(core.store, adapters_by_platform, pacing, lease=lease)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.leadership = leadership or leadership_for(core.store)  # SQLite: always the leader
        self.clock = clock

    def start(self) -> None:
        self.leadership.start()  # campaigns in the background (needs the running loop)
        now = datetime.now(UTC)
        ticks: tuple[tuple[Callable[[], Awaitable[None]], int], ...] = (
            (self.ingest, self.core.settings.ingest_interval_seconds),
            (self.digests, DIGEST_TICK_SECONDS),
        )
        for job, seconds in ticks:
            # First run at once; a tick still running (or missed) is never doubled up.
            self.scheduler.add_job(
                job,
                IntervalTrigger(seconds=seconds),
                next_run_time=now,
                max_instances=1,
                coalesce=True,
            )
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def ingest(self) -> None:
        if not self.leadership.is_leader:
            return  # followers serve chat and send the outbox only
        try:
            results = await self.core.fetch_and_store(self.core.sources(), only_due=True)
        except asyncio.CancelledError:
            return  # shutting down: the next start fetches again
        except Exception:
            log.exception("ingest job failed")
            return
        new = sum(result.new for _, result in results)
        if results:
            log.info("ingest: %d sources fetched, %d new items", len(results), new)

    async def digests(self) -> None:
        try:
            if self.leadership.is_leader:
                await self.core.run_digests(self.clock())
            report = await self.sender.drain()
        except asyncio.CancelledError:
            return  # shutting down: leased rows are picked up again after restart
        except Exception:
            log.exception("digest job failed")
            return
        if report.sent or report.failed or report.retried:
            log.info(
                "outbox: sent %d, retrying %d, failed %d",
                report.sent,
                report.retried,
                report.failed,
            )


async def run_bot(core: PolicyWatch, *, background_jobs: bool = True) -> None:
    adapters = enabled_adapters(core)
    log.info("starting adapters: %s", ", ".join(a.platform for a in adapters))
    jobs = Jobs(core, adapters)
    if background_jobs:
        jobs.start()
    ops = None
    if core.settings.ops_port is not None:
        ops = await start_ops(core.store, core.settings.ops_host, core.settings.ops_port)
    tasks = [asyncio.create_task(a.start(), name=f"adapter-{a.platform}") for a in adapters]
    # SIGTERM/SIGINT (docker stop, Ctrl-C) end the run like an adapter finishing:
    # adapters stop, the leader lock is handed over, leased messages stay queued.
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    waiter = asyncio.create_task(stopping.wait(), name="signals")
    try:
        done, _ = await asyncio.wait([*tasks, waiter], return_when=asyncio.FIRST_COMPLETED)
        if waiter in done:
            log.info("stopping on signal")
        for task in done - {waiter}:
            error = task.exception()
            if error is not None:
                raise error
    finally:
        jobs.stop()
        await jobs.leadership.stop()  # hand the lock over at once
        if ops is not None:
            await ops.cleanup()
        for adapter in adapters:
            await adapter.stop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        waiter.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
