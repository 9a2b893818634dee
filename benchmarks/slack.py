"""Slack adapter load test: ``python -m benchmarks.slack``.

Starts the fake Slack Web API and the real adapter (bolt, signature check on)
on 127.0.0.1, fills a throwaway store with synthetic items, then sends signed
slash commands over HTTP with bounded concurrency. Reports the ack time Slack
would see (must stay far below 3 s) and how fast full replies arrive at the
response_url. Everything runs in one process and event loop, so the numbers
include the load generator and the fake; they are a floor, not a ceiling.
Bounded: stops after the given number of commands or ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from adapters.slack import SlackAdapter
from adapters.slack.tests.fake_slack import FakeSlack, command_body, sign
from bot.config import Settings
from bot.core import PolicyWatch
from bot.models import Item

SECRET = "bench-signing-secret"
COMPANIES = ["Ford", "General Motors", "Tesla", "BYD", "CATL", "Xiaomi", "Stellantis", "Rivian"]
TOPICS = [
    "tariffs on Chinese electric vehicles",
    "the EV tax credit",
    "battery licensing from China",
    "a US joint venture",
    "Section 301 duties",
    "45X production credits",
    "the House China committee",
]
VERBS = ["weighs", "faces questions over", "responds to", "lobbies on", "is hit by", "plans for"]
SOURCES = ["Reuters", "Bloomberg", "Financial Times", "CNBC", "Automotive News", "Politico"]
COMMANDS = [
    "company ford 7d",
    "company tesla",
    "topic ev-tariffs",
    "topic ev-tax-credits 30d",
    "search battery licensing",
    "watchlists",
    "subscriptions",
    "help",
]


def synthetic_items(count: int, seed: int = 7) -> Iterator[Item]:
    """Deterministic, unique items: about 70% mention a company or topic, the rest noise."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    for n in range(count):
        if rng.random() < 0.7:
            title = f"{rng.choice(COMPANIES)} {rng.choice(VERBS)} {rng.choice(TOPICS)} (#{n})"
        else:
            title = f"Local council approves budget for road repairs, item {n}"
        yield Item(
            id=f"bench-{n}",
            title=title,
            summary="Synthetic benchmark item.",
            url=f"https://news.example.com/{n}",
            source=rng.choice(SOURCES),
            published=now - timedelta(minutes=rng.randrange(60 * 24 * 60)),
        )


async def fill(core: PolicyWatch, count: int, batch: int = 5000) -> float:
    """Ingest ``count`` items in batches; return seconds taken."""
    started = time.perf_counter()
    chunk: list[Item] = []
    for item in synthetic_items(count):
        chunk.append(item)
        if len(chunk) >= batch:
            await core.ingest(chunk)
            chunk = []
    if chunk:
        await core.ingest(chunk)
    return time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(items: int, commands: int, concurrency: int, timeout: float, mix: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="pw-bench-") as tmp:
        async with FakeSlack() as fake:
            settings = Settings(
                data_dir=Path(tmp),
                database_url=f"sqlite:///{tmp}/bench.db",
                slack_bot_token="xoxb-bench",
                slack_signing_secret=SECRET,
                slack_api_url=fake.api_url,
            )
            core = await PolicyWatch.open(settings)
            adapter = SlackAdapter(core, settings, host="127.0.0.1", port=0)
            try:
                print(f"filling store with {items:,} items ...", flush=True)
                seconds = await fill(core, items)
                print(f"  {items:,} items in {seconds:.1f} s ({items / seconds:,.0f} items/s)")
                await adapter.open()
                await asyncio.wait_for(
                    _load(adapter, fake, commands, concurrency, mix), timeout=timeout
                )
            finally:
                await adapter.stop()
                await core.close()


async def _load(
    adapter: SlackAdapter,
    fake: FakeSlack,
    commands: int,
    concurrency: int,
    mix: list[str] = COMMANDS,
) -> None:
    url = f"http://127.0.0.1:{adapter.port}/slack/events"
    gate = asyncio.Semaphore(concurrency)
    acks: list[float] = []
    sent_at: dict[str, float] = {}
    failures = 0

    async def one(session: aiohttp.ClientSession, n: int) -> None:
        nonlocal failures
        name = f"r{n}"
        body, ctype = command_body(
            mix[n % len(mix)],
            response_url=fake.response_url(name),
            user=f"U{n % 50}",
            channel=f"C{n % 20}",
        )
        async with gate:
            headers = {**sign(SECRET, body), "Content-Type": ctype}
            started = time.monotonic()
            sent_at[name] = started
            async with session.post(url, data=body.encode(), headers=headers) as response:
                await response.read()
                acks.append(time.monotonic() - started)
                if response.status != 200:
                    failures += 1

    print(f"sending {commands:,} signed slash commands, concurrency {concurrency} ...", flush=True)
    connector = aiohttp.TCPConnector(limit=concurrency)
    started = time.monotonic()
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(one(session, n) for n in range(commands)))
    sent = time.monotonic() - started
    await fake.wait_for(
        lambda calls: sum(1 for c in calls if c.method == "response_url") >= commands - failures,
        timeout=max(30.0, commands / 5),
    )
    replies = fake.of("response_url")
    done = max(c.at for c in replies) - started if replies else float("nan")
    latency = [c.at - sent_at[c.args["_name"]] for c in replies if c.args["_name"] in sent_at]
    print(f"  non-200 acks: {failures}")
    print(f"  ack  p50 {pct(acks, 0.5) * 1000:7.1f} ms   p95 {pct(acks, 0.95) * 1000:7.1f} ms")
    print(
        f"  reply p50 {pct(latency, 0.5) * 1000:7.1f} ms   p95 {pct(latency, 0.95) * 1000:7.1f} ms"
        f"   (request sent -> response_url received)"
    )
    print(f"  all sent in {sent:.2f} s; all {len(replies):,} replies in {done:.2f} s")
    print(
        f"  replies/s {len(replies) / done:,.1f}   mean ack {statistics.fmean(acks) * 1000:.1f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--commands", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this many s")
    parser.add_argument(
        "--no-search",
        action="store_true",
        help="leave out the full-text search command, to see the adapter's own overhead",
    )
    args = parser.parse_args(argv)
    mix = [c for c in COMMANDS if not (args.no_search and c.startswith("search"))]
    print(f"command mix: {', '.join(mix)}")
    asyncio.run(run(args.items, args.commands, args.concurrency, args.timeout, mix))


if __name__ == "__main__":
    main()
