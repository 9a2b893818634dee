"""The outbox sender: deliver queued messages through the adapters, exactly
once per message as far as the platform can tell us.

Guarantee: every queued message is delivered at least once; a message whose
send may have happened before a crash (its row is still "sending" when it is
claimed again) is first looked up on the platform (Slack message metadata,
Discord nonce) through the adapter's ``already_delivered`` and not sent
again when found. Where an adapter cannot look, the resend is the at-least-once
fallback.

Rows are claimed with a lease, so several senders (or replicas) never send the
same row at the same time. Pacing: a global rate per platform and a minimum
interval per channel; platform 429s come back as :class:`RetryLater`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import faults
from bot.delivery import Courier, Delivery, PermanentDeliveryError, RetryLater
from bot.ops import METRICS
from bot.replies import Reply
from bot.store import Store
from bot.store.codec import now_utc
from bot.store.records import OutboxRow

log = logging.getLogger("policywatch.outbox")
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Pacing:
    """The platform's limits. The sender paces at ``margin`` of them, because
    a limit counted on the platform's clock over a sliding second cannot be
    hit exactly from ours: a few percent slower costs less than a 429."""

    global_per_second: float = 50.0
    channel_interval: float = 1.0
    concurrency: int = 64
    margin: float = 0.96


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # no adapter for the platform in this process
    errors: list[str] = field(default_factory=list)


class _Pacer:
    """A token bucket per platform plus a last-send time per channel."""

    def __init__(self, pacing: Pacing) -> None:
        self.pacing = pacing
        self._next_global: dict[str, float] = {}
        self._next_channel: dict[tuple[str, str, str], float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, key: tuple[str, str, str]) -> None:
        async with self._lock:
            now = time.monotonic()
            platform = key[0]
            start = max(now, self._next_global.get(platform, 0.0), self._next_channel.get(key, 0.0))
            self._next_global[platform] = start + 1.0 / (
                self.pacing.global_per_second * self.pacing.margin
            )
            self._next_channel[key] = start + self.pacing.channel_interval / self.pacing.margin
        delay = start - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


class OutboxSender:
    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, Courier],
        pacing: Pacing | None = None,
        *,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        """``lease``: how long a claimed row is this sender's before another
        sender (after a crash, or a replica) may take it over."""
        self.store = store
        self.adapters = adapters
        self.pacing = pacing or Pacing()
        self.lease = lease
        self._pacer = _Pacer(self.pacing)

    async def drain(self, now: datetime | None = None, batch: int = 500) -> SendReport:
        """Send everything that is ready now; returns when nothing is left to claim."""
        report = SendReport()
        semaphore = asyncio.Semaphore(self.pacing.concurrency)

        async def one(row: OutboxRow) -> None:
            async with semaphore:
                await self._send(row, report)

        while True:
            rows = await self.store.claim_outbox(now or now_utc(), batch, self.lease)
            rows = [r for r in rows if self._deliverable(r, report)]
            if not rows:
                return report
            faults.checkpoint("after_claim")
            await asyncio.gather(*(one(r) for r in rows))

    def _deliverable(self, row: OutboxRow, report: SendReport) -> bool:
        if row.entry.platform in self.adapters:
            return True
        report.skipped += 1
        return False

    async def _send(self, row: OutboxRow, report: SendReport) -> None:
        entry = row.entry
        adapter = self.adapters[entry.platform]
        delivery = Delivery(row.id, entry.workspace, entry.channel, Reply.from_json(entry.payload))
        try:
            if row.attempts > 1:
                earlier = await adapter.already_delivered(delivery)
                if earlier is not None:
                    log.info(
                        "outbox %s was delivered before a restart (%s); not resending",
                        row.id,
                        earlier,
                    )
                    await self.store.mark_sent(row.id, earlier)
                    report.sent += 1
                    return
            await self._pacer.wait((entry.platform, entry.workspace, entry.channel))
            message_id = await adapter.deliver(delivery)
            faults.checkpoint("after_send")
            await self.store.mark_sent(row.id, message_id)
            faults.checkpoint("after_record")
            report.sent += 1
            METRICS.inc("policywatch_messages_sent_total")
        except PermanentDeliveryError as exc:
            reason = str(exc)
            log.warning(
                "outbox %s to %s/%s failed for good: %s",
                row.id,
                entry.platform,
                entry.channel,
                reason,
            )
            await self.store.mark_failed(row.id, reason)
            await self.store.disable_channel(entry.platform, entry.workspace, entry.channel, reason)
            report.failed += 1
            METRICS.inc("policywatch_messages_failed_total")
            report.errors.append(reason)
        except Exception as exc:  # RetryLater, timeouts, platform outages
            reason = str(exc) or type(exc).__name__
            if row.attempts >= MAX_ATTEMPTS:
                log.warning("outbox %s gave up after %s attempts: %s", row.id, row.attempts, reason)
                await self.store.mark_failed(row.id, reason)
                report.failed += 1
                report.errors.append(reason)
                METRICS.inc("policywatch_messages_failed_total")
                return
            after = exc.after_seconds if isinstance(exc, RetryLater) else 0.0
            backoff = max(after, min(600.0, 2.0**row.attempts)) * random.uniform(1.0, 1.2)
            log.info("outbox %s will retry in %.0f s: %s", row.id, backoff, reason)
            await self.store.mark_retry(row.id, reason, now_utc() + timedelta(seconds=backoff))
            report.retried += 1
            METRICS.inc("policywatch_messages_retried_total")
