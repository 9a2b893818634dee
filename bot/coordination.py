"""Which replica schedules: leader election for ``policywatch run`` replicas.

Every replica serves chat and drains the outbox (``claim_outbox`` is safe to
run concurrently). Only one replica, the leader, should run the *scheduling*
work: the digest tick and the ingest tick. Both are idempotent (dedupe keys,
unique items), so two leaders for a moment cost duplicate work, never a
duplicate message; one leader at a time just avoids doing everything N times.

On PostgreSQL the leader is whoever holds a session-level advisory lock
(``pg_try_advisory_lock``) on a dedicated connection. When the leader dies its
connection closes, PostgreSQL releases the lock, and the next follower to retry
(every ``retry_seconds``) takes over within seconds. A leader whose connection
fails, or stops answering, steps down at once rather than risk running
alongside its successor for long. On SQLite there is one process, so it is
always the leader.

Wiring (``bot/runner.py``)::

    leadership = leadership_for(core.store)
    leadership.start()                       # background acquire_loop()
    ...                                      # in the ticks:
    if leadership.is_leader: ...             # digests / ingest
    await leadership.stop()                  # releases the lock at once
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from bot.store.base import Store

log = logging.getLogger("policywatch.leader")

# Server-side TCP keepalives on the lock's session: if the leader's host
# vanishes without closing the socket, PostgreSQL notices within about
# idle + interval * count seconds and releases the lock.
_KEEPALIVES = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
    "application_name": "policywatch-leader",
}


class Leadership(ABC):
    """Whether this process should run the scheduler now.

    ``acquire_loop`` runs for the life of the process (``start`` puts it in a
    task); ``is_leader`` is read at every scheduled tick.
    """

    def __init__(self, on_change: Callable[[bool], None] | None = None) -> None:
        self._on_change = on_change
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    @property
    @abstractmethod
    def is_leader(self) -> bool: ...

    @abstractmethod
    async def acquire_loop(self) -> None:
        """Try to become (and stay) leader until cancelled; release on the way out."""

    def start(self) -> asyncio.Task[None]:
        """Run :meth:`acquire_loop` in a background task (needs a running loop)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.acquire_loop(), name="leadership")
        return self._task

    async def stop(self) -> None:
        """Stop campaigning and give the lock up now (a successor needn't wait)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def wait_until_leader(self, timeout: float | None = None) -> bool:
        """Block until this process leads (True) or ``timeout`` passes (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_leader:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining or 0.5, 0.5))
        return True

    def _notify(self, leader: bool) -> None:
        self._changed.set()
        if self._on_change is not None:
            try:
                self._on_change(leader)
            except Exception:
                log.exception("leadership callback failed")


class SingleProcessLeadership(Leadership):
    """SQLite: one process owns the database file, so it always leads."""

    @property
    def is_leader(self) -> bool:
        return True

    async def acquire_loop(self) -> None:
        self._notify(True)
        await asyncio.Event().wait()  # nothing to renew; just wait to be cancelled


class PostgresLeadership(Leadership):
    """Leader = holder of a session advisory lock on a dedicated connection.

    The connection is not from the store's pool on purpose: asyncpg resets a
    pooled connection when it is released (``pg_advisory_unlock_all``), which
    would silently drop the lock.
    """

    def __init__(
        self,
        dsn: str,
        key: int,
        *,
        retry_seconds: float = 1.0,
        check_seconds: float = 1.0,
        query_timeout: float = 3.0,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        super().__init__(on_change)
        self._dsn = dsn  # may hold a password: never log it
        self.key = key
        self.retry_seconds = retry_seconds
        self.check_seconds = check_seconds
        self.query_timeout = query_timeout
        self._leader = False
        self._confirmed_at = 0.0
        self._conn: Any = None

    @property
    def is_leader(self) -> bool:
        """True only while the lock is held *and* was confirmed recently.

        The freshness check covers a hung connection: if the liveness query has
        not succeeded for a few intervals, we stop scheduling even before the
        driver reports the connection as lost.
        """
        stale_after = self.check_seconds + self.query_timeout + 1.0
        return self._leader and time.monotonic() - self._confirmed_at < stale_after

    async def acquire_loop(self) -> None:
        import asyncpg

        try:
            while True:
                try:
                    await self._campaign()
                except asyncio.CancelledError:
                    raise
                except (
                    OSError,
                    TimeoutError,
                    asyncpg.PostgresError,
                    asyncpg.InterfaceError,
                ) as exc:
                    # The database is unreachable or the session died: whoever
                    # holds the lock now, it is not (provably) us.
                    log.warning("leader election: %s: %s", type(exc).__name__, exc)
                except Exception:
                    # Anything else must not end the campaign: a replica that
                    # stopped campaigning could never take over from a dead leader.
                    log.exception("leader election failed; retrying")
                self._set_leader(False)
                await self._close(release=False)
                await asyncio.sleep(self.retry_seconds)
        finally:
            await self._close(release=True)
            self._set_leader(False)

    async def _campaign(self) -> None:
        import asyncpg

        self._conn = await asyncpg.connect(
            self._dsn, timeout=self.query_timeout + 2, server_settings=_KEEPALIVES
        )
        self._conn.add_termination_listener(lambda _conn: self._set_leader(False))
        while not self._conn.is_closed():
            if not self._leader:
                won = await self._conn.fetchval(
                    "SELECT pg_try_advisory_lock($1)", self.key, timeout=self.query_timeout
                )
                if won:
                    self._confirmed_at = time.monotonic()
                    self._set_leader(True)
                    continue
                await asyncio.sleep(self.retry_seconds)
            else:
                # Still ours? The lock lives as long as this session does.
                held = await self._conn.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND granted "
                    "AND ((classid::bigint << 32) | objid::bigint) = $1)",
                    self.key,
                    timeout=self.query_timeout,
                )
                if not held:
                    log.warning("leader election: the lock is gone; stepping down")
                    self._set_leader(False)
                    continue
                self._confirmed_at = time.monotonic()
                await asyncio.sleep(self.check_seconds)
        raise ConnectionError("leader connection closed")

    def _set_leader(self, leader: bool) -> None:
        if leader == self._leader:
            return
        self._leader = leader
        log.info("this replica is %s", "now the scheduler leader" if leader else "a follower")
        self._notify(leader)

    async def _close(self, *, release: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is None or conn.is_closed():
            return
        try:
            if release and self._leader:
                await conn.execute("SELECT pg_advisory_unlock($1)", self.key, timeout=2)
            await asyncio.wait_for(conn.close(), 2)
        except Exception:
            conn.terminate()


def leadership_for(
    store: Store, *, retry_seconds: float = 1.0, on_change: Callable[[bool], None] | None = None
) -> Leadership:
    """The right election for a store: an advisory lock on PostgreSQL, else always-leader."""
    try:
        from bot.store.postgres import PostgresStore, advisory_key
    except ImportError:  # no asyncpg: the store cannot be PostgreSQL
        return SingleProcessLeadership(on_change)
    if isinstance(store, PostgresStore):
        return PostgresLeadership(
            store.dsn,
            advisory_key(store.namespace, "scheduler-leader"),
            retry_seconds=retry_seconds,
            check_seconds=retry_seconds,
            on_change=on_change,
        )
    return SingleProcessLeadership(on_change)
