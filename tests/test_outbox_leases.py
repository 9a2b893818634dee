"""Outbox leases name their owner; a provably dead owner's rows are taken over
at once, a live owner's are left until its lease ends, and both are reported.

Run on both backends: on SQLite the owner is a process on this host (here a
``sleep`` child we start and kill); on PostgreSQL it is a database session
(here a second connection we open and close). Also: PostgreSQL calls survive
their backends being terminated mid-run (``pg_terminate_backend``).
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.base import Adapter
from bot.delivery import Delivery
from bot.digests.sender import OutboxSender, Pacing
from bot.replies import Reply
from bot.store import Store, open_store
from bot.store.codec import now_utc
from bot.store.leases import ProcessId, _start_ticks, process_gone, this_process
from bot.store.records import OutboxEntry
from tests.test_store_backends import (  # noqa: F401  (fixtures)
    PG_DSN,
    fresh_pg_schema,
    store,
    store_url,
)


def _entries(n: int, prefix: str = "k") -> list[OutboxEntry]:
    payload = Reply(title="digest").to_json()
    return [
        OutboxEntry(f"{prefix}{i}", "digest", "slack", "T1", f"C{i}", payload) for i in range(n)
    ]


def test_process_identity_survives_pid_reuse_and_other_hosts() -> None:
    me = this_process()
    assert ProcessId.parse(str(me)) == me
    assert not process_gone(me)
    if me.started:  # /proc is there: a different start time means the pid was reused
        assert process_gone(ProcessId(me.host, me.pid, str(int(me.started) + 1)))
    assert not process_gone(ProcessId("another-host", 999_999_999, "1"))  # cannot tell
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert process_gone(ProcessId(me.host, child.pid, ""))
    assert ProcessId.parse("garbage") is None


@pytest.fixture
async def holder(store_url: str) -> AsyncIterator[tuple[dict[str, str | None], object]]:  # noqa: F811
    """Another live sender: a ``sleep`` process on this host, plus (PostgreSQL)
    a database session. Yields the lease columns naming it and a callable
    that kills it."""
    sleeper = subprocess.Popen(["sleep", "60"])
    owner = str(ProcessId(socket.gethostname(), sleeper.pid, _start_ticks(sleeper.pid)))
    columns: dict[str, str | None] = {"lease_owner": owner, "lease_session": None}
    conn = None
    if store_url.startswith("postgresql"):
        import asyncpg

        from bot.store.postgres import _SESSION_KEY

        conn = await asyncpg.connect(store_url)
        columns["lease_session"] = await conn.fetchval(
            f"SELECT {_SESSION_KEY} FROM pg_stat_activity WHERE pid = pg_backend_pid()"
        )

    async def kill() -> None:
        sleeper.kill()
        sleeper.wait()
        if conn is not None:
            await conn.close()

    yield columns, kill
    if sleeper.poll() is None:
        sleeper.kill()
        sleeper.wait()
    if conn is not None and not conn.is_closed():
        await conn.close()


async def _hand_over(store: Store, columns: dict[str, str | None]) -> None:  # noqa: F811
    """Make the claimed rows look claimed by ``columns``' sender."""
    from bot.store.sql_store import SQLStore

    assert isinstance(store, SQLStore)
    await store._execute(
        (
            "UPDATE outbox SET lease_owner = ?, lease_session = ? WHERE status = 'sending'",
            [columns["lease_owner"], columns["lease_session"]],
        )
    )


async def test_a_live_holder_is_waited_for_and_a_dead_one_is_taken_over(
    store: Store,  # noqa: F811
    holder: tuple[dict[str, str | None], object],
) -> None:
    columns, kill = holder
    await store.enqueue(_entries(3), [])
    now = now_utc()
    assert len(await store.claim_outbox(now, 10, timedelta(minutes=10))) == 3
    await _hand_over(store, columns)

    waiting = await store.outbox_holds(now)
    assert [(w.reason, w.count) for w in waiting] == [("held", 3)]
    pid = str(columns["lease_owner"]).split(":")[1]
    assert waiting[0].describe().startswith(f"3 held by pid {pid} on {socket.gethostname()} until")
    assert await store.claim_outbox(now, 10, timedelta(minutes=10)) == []

    await kill()  # type: ignore[operator]
    for _ in range(50):  # a closed session leaves pg_stat_activity within moments
        waiting = await store.outbox_holds(now)
        if waiting and waiting[0].reason == "stopped":
            break
        await asyncio.sleep(0.1)
    assert [(w.reason, w.count) for w in waiting] == [("stopped", 3)]
    assert "3 held by a sender that stopped" in waiting[0].describe()
    taken = await store.claim_outbox(now, 10, timedelta(minutes=10))
    assert sorted(r.entry.dedupe_key for r in taken) == ["k0", "k1", "k2"]
    assert all(r.attempts == 2 for r in taken)  # so the sender looks on the platform first
    assert await store.outbox_holds(now) == []  # ours now: not reported as waiting


async def test_rows_waiting_to_retry_are_reported_with_their_time(store: Store) -> None:  # noqa: F811
    (first,) = await store.enqueue(_entries(1), [])
    now = now_utc()
    await store.claim_outbox(now, 10, timedelta(minutes=1))
    await store.mark_retry(first, "slack error: fatal_error", now + timedelta(minutes=5))
    (wait,) = await store.outbox_holds(now)
    assert (wait.reason, wait.count) == ("retry", 1)
    assert wait.describe() == f"1 waiting to retry until {now + timedelta(minutes=5):%H:%M} UTC"


class _Recorder(Adapter):
    """A platform that records deliveries, slowly enough for a mid-run fault."""

    platform = "slack"
    delivers_without_connection = True

    def __init__(self) -> None:
        self.sent: list[int] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver(self, delivery: Delivery) -> str:
        await asyncio.sleep(0.005)
        self.sent.append(delivery.outbox_id)
        return f"m{delivery.outbox_id}"


async def test_postgres_calls_survive_terminated_backends_mid_run() -> None:
    """``pg_terminate_backend`` on every connection of this store while it drains
    an outbox: each call that hit a dead connection is retried on a new one,
    and every message is sent exactly once."""
    import asyncpg

    async with fresh_pg_schema() as url:
        app = f"pw_kill_{secrets.token_hex(4)}"
        url = f"{url}&application_name={app}"
        opened = await open_store(url)
        try:
            await opened.enqueue(_entries(150), [])
            platform = _Recorder()
            sender = OutboxSender(
                opened,
                {"slack": platform},
                Pacing(global_per_second=10_000, channel_interval=0, concurrency=8),
                lease=timedelta(minutes=5),
            )
            admin = await asyncpg.connect(PG_DSN)
            terminated = 0

            async def terminate_when_half_sent() -> None:
                nonlocal terminated
                while len(platform.sent) < 40:
                    await asyncio.sleep(0.005)
                # Only this test's connections: others' tests share the server.
                terminated = len(
                    await admin.fetch(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = $1",
                        app,
                    )
                )

            killer = asyncio.create_task(terminate_when_half_sent())
            report = await sender.drain(batch=20)
            await killer
            await admin.close()
            assert terminated >= 1
            assert sorted(platform.sent) == sorted(set(platform.sent))
            assert len(platform.sent) == 150 == report.sent
            assert (await opened.outbox_counts()) == {"sent": 150}
        finally:
            await opened.close()


async def test_a_connection_that_stays_lost_ends_in_one_clear_error() -> None:
    import asyncpg

    from bot.store.postgres import RETRY_ATTEMPTS, DatabaseUnavailable, retry_transient

    calls = 0

    @retry_transient
    async def always_cut() -> None:
        nonlocal calls
        calls += 1
        raise asyncpg.ConnectionDoesNotExistError(
            "connection was closed in the middle of operation"
        )

    with pytest.raises(DatabaseUnavailable) as caught:
        await always_cut()
    assert calls == RETRY_ATTEMPTS
    assert str(caught.value).startswith("lost the connection to PostgreSQL and 5 tries over")
    assert isinstance(caught.value, OSError)  # the CLI prints it as one line, exit 1

    @retry_transient
    async def a_bug() -> None:
        raise asyncpg.UndefinedTableError("relation does not exist")

    with pytest.raises(asyncpg.UndefinedTableError):  # not a connection problem: no retry
        await a_bug()
