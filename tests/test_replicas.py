"""Several bot replicas on one PostgreSQL database.

The main test starts three replica processes (this module run as
``python -m tests.test_replicas``) against one fresh schema and the fake Slack
Web API (adapters/slack/tests/fake_slack.py) on 127.0.0.1. Each replica does
what ``policywatch run`` does, through the runner's own ``Jobs.digests``:
every replica drains the outbox through the real SlackAdapter, and only the
elected leader builds due digests. The test SIGKILLs the leader mid-run and checks that

* a follower takes over within seconds, and there is never more than one leader;
* every digest that fell due (before, during and after the failover) was built
  once and posted to Slack exactly once, even for rows the dead leader had
  claimed (their lease expires, and the SlackAdapter's ``already_delivered``
  finds any message it had already posted).

To make digests fall due every second, the replicas share a virtual clock
(one real second is one scheduled hour) and 48 channels subscribe daily at
each hour and half hour; the outbox lease is shortened to 4 s for the same reason. Only
127.0.0.1 traffic; about 20 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.coordination import (
    Leadership,
    PostgresLeadership,
    SingleProcessLeadership,
    leadership_for,
)
from bot.store import open_store
from bot.store.records import Subscription
from tests.test_store_backends import fresh_pg_schema

ROOT = Path(__file__).resolve().parent.parent
NO_SOURCES = Path(__file__).parent / "fixtures" / "no_sources.yaml"
SPEED = 3600.0  # virtual seconds per real second: one scheduled hour per second
V0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
# Channel Chhmm is due daily at hh:mm UTC: a digest falls due every half second.
SLOTS = [(h, m) for h in range(24) for m in (0, 30)]
CHANNELS = [f"C{h:02d}{m:02d}" for h, m in SLOTS]
LEASE_SECONDS = 4  # short, so rows the killed leader had claimed come back quickly


def virtual_now(t0: float, now: float | None = None) -> datetime:
    """The shared schedule clock: V0 at real time ``t0``, one hour per second after."""
    elapsed = max(0.0, (time.time() if now is None else now) - t0)
    return V0 + timedelta(seconds=elapsed * SPEED)


# ---------------------------------------------------------------------- leadership, in process


async def test_leadership_hands_over_when_the_leader_stops_or_its_session_dies() -> None:
    import asyncpg

    from bot.store.postgres import PostgresStore

    async with fresh_pg_schema() as url:
        store = await open_store(url)
        assert isinstance(store, PostgresStore)
        a = leadership_for(store, retry_seconds=0.2)
        b = leadership_for(store, retry_seconds=0.2)
        assert isinstance(a, PostgresLeadership) and isinstance(b, PostgresLeadership)
        a.start()
        assert await a.wait_until_leader(5)
        b.start()
        await asyncio.sleep(0.6)
        assert a.is_leader and not b.is_leader
        # A clean stop releases the lock at once.
        started = time.monotonic()
        await a.stop()
        assert not a.is_leader
        assert await b.wait_until_leader(5)
        assert time.monotonic() - started < 2
        # The leader's session dies (a crash, a network cut): it steps down and
        # the other takes over.
        a.start()
        await asyncio.sleep(0.5)
        assert not a.is_leader
        admin = await asyncpg.connect(url)
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'policywatch-leader' AND pid IN "
            "(SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND ((classid::bigint << 32) | objid::bigint) = $1)",
            b.key,
        )
        await admin.close()
        assert await a.wait_until_leader(5)
        for _ in range(20):
            if not b.is_leader:
                break
            await asyncio.sleep(0.1)
        assert not b.is_leader
        await a.stop()
        await b.stop()
        await store.close()


async def test_sqlite_is_always_the_leader(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 's.db'}")
    leadership: Leadership = leadership_for(store)
    assert isinstance(leadership, SingleProcessLeadership) and leadership.is_leader
    leadership.start()
    assert await leadership.wait_until_leader(1)
    await leadership.stop()
    await store.close()


# ---------------------------------------------------------------------- three processes


@dataclass
class Replica:
    name: str
    proc: asyncio.subprocess.Process
    events: list[tuple[float, str]] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    killed_at: float | None = None

    async def pump(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            line = raw.decode().strip()
            self.events.append((time.monotonic(), line))
            if line == "READY":
                self.ready.set()

    @property
    def leading(self) -> bool:
        states = [e for _, e in self.events if e in ("LEADER", "FOLLOWER")]
        return self.killed_at is None and bool(states) and states[-1] == "LEADER"


async def _spawn(name: str, env: dict[str, str], log_dir: Path) -> Replica:
    stderr = (log_dir / f"{name}.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.test_replicas",
        name,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )
    stderr.close()
    return Replica(name, proc)


def _terms(replica: Replica) -> list[tuple[float, float]]:
    """(start, end) of each period this replica said it led."""
    terms: list[tuple[float, float]] = []
    start: float | None = None
    for at, event in replica.events:
        if event == "LEADER" and start is None:
            start = at
        elif event == "FOLLOWER" and start is not None:
            terms.append((start, at))
            start = None
    if start is not None:
        terms.append((start, replica.killed_at or time.monotonic()))
    return terms


def _part(call: Any) -> tuple[int, int]:
    """(outbox id, part) of a posted digest message."""
    meta = call.args.get("metadata") or {}
    if isinstance(meta, str):
        import json

        meta = json.loads(meta)
    return int(meta["event_payload"]["outbox_id"]), int(meta["event_payload"]["part"])


def _expected_slots(until: datetime) -> set[str]:
    """Dedupe keys of every daily slot in (V0, until] for every channel."""
    keys = set()
    for (hour, minute), channel in zip(SLOTS, CHANNELS, strict=True):
        slot = V0.replace(hour=hour, minute=minute)
        while slot <= until:
            if slot > V0:
                keys.add(f"digest:slack/T1/{channel}:{slot.isoformat()}")
            slot += timedelta(days=1)
    return keys


async def test_three_replicas_survive_a_killed_leader_and_send_each_digest_once(
    tmp_path: Path,
) -> None:
    import asyncpg

    from adapters.slack.tests.fake_slack import FakeSlack

    async with fresh_pg_schema() as url, FakeSlack() as fake:
        setup = await open_store(url)  # also races the replicas' own upgrades below
        for (hour, minute), channel in zip(SLOTS, CHANNELS, strict=True):
            await setup.save_subscription(
                Subscription(
                    "slack", "T1", channel, "ev-tariffs", "daily", f"{hour:02d}:{minute:02d}", "UTC",
                    last_due_at=V0,
                )
            )  # fmt: skip
        await setup.close()

        t0 = time.time() + 2.5  # the schedule clock starts once the replicas are up
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))},
            "POLICYWATCH_DATABASE_URL": url,
            "POLICYWATCH_DATA_DIR": str(tmp_path),
            "POLICYWATCH_SOURCES_FILE": str(NO_SOURCES),
            "POLICYWATCH_SEND_EMPTY_DIGESTS": "1",  # every due slot yields one message
            "POLICYWATCH_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "test-signing-secret",
            "SLACK_API_URL": fake.api_url,
            "PW_TEST_T0": repr(t0),
            "PYTHONPATH": str(ROOT),
        }
        replicas = [await _spawn(f"r{n}", env, tmp_path) for n in range(3)]
        pumps = [asyncio.create_task(r.pump()) for r in replicas]
        try:
            await asyncio.wait_for(asyncio.gather(*(r.ready.wait() for r in replicas)), 20)
            await asyncio.sleep(max(0.0, t0 - time.time()) + 4.0)  # ~4 scheduled hours

            leaders = [r for r in replicas if r.leading]
            assert len(leaders) == 1, [r.events for r in replicas]
            [leader] = leaders
            leader.proc.send_signal(signal.SIGKILL)
            leader.killed_at = time.monotonic()
            kill_virtual = virtual_now(t0)

            deadline = time.monotonic() + 10
            while not any(r.leading for r in replicas) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            successors = [r for r in replicas if r.leading]
            assert len(successors) == 1, "no follower took over"
            takeover = (
                next(at for at, e in reversed(successors[0].events) if e == "LEADER")
                - leader.killed_at
            )
            assert takeover < 5, f"takeover took {takeover:.1f}s"

            await asyncio.sleep(5.0)  # the schedule must keep going after the failover
            check_until = virtual_now(t0, time.time() - 1.5)
            expected = _expected_slots(check_until)
            assert expected

            # Wait for everything enqueued so far to be sent (leases of the dead
            # leader's claims expire after LEASE_SECONDS).
            conn = await asyncpg.connect(url)
            try:
                deadline = time.monotonic() + 15
                while True:
                    rows = await conn.fetch("SELECT id, dedupe_key, status FROM outbox")
                    keys = {r["dedupe_key"] for r in rows}
                    pending = [r for r in rows if r["status"] != "sent"]
                    if (expected <= keys and not pending) or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.25)
            finally:
                await conn.close()
        finally:
            for r in replicas:
                if r.proc.returncode is None and r.killed_at is None:
                    r.proc.send_signal(signal.SIGTERM)
            for r in replicas:
                try:
                    await asyncio.wait_for(r.proc.wait(), 10)
                except TimeoutError:
                    r.proc.kill()
                    await r.proc.wait()
            for p in pumps:
                p.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)

        logs = {r.name: (tmp_path / f"{r.name}.log").read_text()[-3000:] for r in replicas}
        missing = expected - keys
        assert not missing, (sorted(missing), logs)
        assert not pending, (pending, logs)
        posted = [_part(c) for c in fake.of("chat.postMessage")]
        duplicates = {i for i in posted if posted.count(i) > 1}
        assert not duplicates, (f"posted more than once: {sorted(duplicates)}", logs)
        # Every row, each of its parts once, and all of them (parts are numbered from 0).
        by_row: dict[int, list[int]] = {}
        for outbox_id, part in posted:
            by_row.setdefault(outbox_id, []).append(part)
        # The schedule keeps running until the replicas are stopped, so rows
        # enqueued after the snapshot above may have been sent too: compare
        # with the outbox as the stopped replicas left it.
        conn = await asyncpg.connect(url)
        try:
            final = await conn.fetch("SELECT id, status FROM outbox")
        finally:
            await conn.close()
        assert {r["id"] for r in rows} <= set(by_row) <= {r["id"] for r in final}
        assert {r["id"] for r in final if r["status"] == "sent"} <= set(by_row)
        assert all(sorted(parts) == list(range(len(parts))) for parts in by_row.values())
        # Slots after the kill were built by the new leader.
        after_kill = {
            k for k in expected if datetime.fromisoformat(k.split(":", 2)[2]) > kill_virtual
        }
        assert after_kill and after_kill <= keys, logs
        print(
            f"takeover {takeover:.2f}s; {len(expected)} due digests checked, "
            f"{len(posted)} posted, {len(after_kill)} after the kill"
        )
        # At most one leader at any moment (timestamps are when the parent read
        # each pipe, so allow a little skew between replicas).
        terms = [t for r in replicas for t in _terms(r)]
        for n, (start, end) in enumerate(terms):
            for other_start, other_end in terms[n + 1 :]:
                overlap = min(end, other_end) - max(start, other_start)
                assert overlap < 0.5, ([r.events for r in replicas], logs)


# ---------------------------------------------------------------------- the replica process


async def _replica(name: str) -> None:
    """One replica: the runner's own ``Jobs.digests`` (leader builds, everyone
    sends), on the shared fast clock and with a short lease."""
    from adapters.slack import SlackAdapter
    from bot.config import Settings
    from bot.core import PolicyWatch
    from bot.digests.sender import Pacing
    from bot.runner import Jobs

    t0 = float(os.environ["PW_TEST_T0"])
    settings = Settings.from_env()
    core = await PolicyWatch.open(settings)
    slack = SlackAdapter(core, settings)  # deliver only: no HTTP endpoint needed here
    leadership = leadership_for(
        core.store,
        retry_seconds=0.5,
        on_change=lambda leader: print("LEADER" if leader else "FOLLOWER", flush=True),
    )
    jobs = Jobs(
        core,
        [slack],
        leadership=leadership,
        pacing=Pacing(channel_interval=0.0),
        clock=lambda: virtual_now(t0),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    leadership.start()
    print("READY", flush=True)
    try:
        while not stop.is_set():
            if time.time() >= t0:
                await jobs.digests()  # what the scheduler runs every tick
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)
    finally:
        await leadership.stop()
        await core.close()


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.INFO, format=f"{sys.argv[1]} %(name)s: %(message)s")
    asyncio.run(_replica(sys.argv[1]))
