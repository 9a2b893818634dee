"""Digest fan-out: ``python -m benchmarks.digest [--channels 10000]``.

Subscribes N Slack channels to one watchlist, builds their digests, and drains
the outbox through the real Slack adapter to a local fake Slack that enforces
1 message/s per channel and a global 50 messages/s (answering 429 with
Retry-After beyond that). Reports the time to drain against the theoretical
minimum (N / 50 s) and checks that no message was lost or duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.slack import SlackAdapter
from adapters.tests.local_server import serve_locally
from bot.config import Settings
from bot.core import PolicyWatch
from bot.digests.sender import OutboxSender, Pacing
from bot.models import Item
from bot.store.records import CursorUpdate, Subscription


class RateLimitedSlack:
    """chat.postMessage only, on 127.0.0.1, with limits counted over a sliding
    second: at most ``global_per_second`` messages in any second, and one
    message per channel per ``channel_interval``."""

    def __init__(self, global_per_second: float, channel_interval: float) -> None:
        self.global_per_second = global_per_second
        self.channel_interval = channel_interval
        self.recent: deque[float] = deque()
        self.last_in_channel: dict[str, float] = {}
        self.posted: Counter[tuple[int, int]] = Counter()  # (outbox id, part)
        self.limited = 0
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def _post(self, request: web.Request) -> web.Response:
        form: dict[str, Any] = (
            dict(await request.post())
            if request.content_type != "application/json"
            else await request.json()
        )
        channel = str(form.get("channel"))
        now = time.monotonic()
        while self.recent and now - self.recent[0] >= 1.0:
            self.recent.popleft()
        too_fast = now - self.last_in_channel.get(channel, -1e9) < self.channel_interval
        if len(self.recent) >= self.global_per_second or too_fast:
            self.limited += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        self.recent.append(now)
        self.last_in_channel[channel] = now
        raw = form.get("metadata")
        metadata = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(metadata, dict):
            return web.json_response({"ok": False, "error": "metadata missing"}, status=400)
        payload = metadata["event_payload"]
        self.posted[int(payload["outbox_id"]), int(payload.get("part", 0))] += 1
        return web.json_response({"ok": True, "channel": channel, "ts": f"{now:.6f}"})

    async def __aenter__(self) -> RateLimitedSlack:
        app = web.Application()
        app.router.add_post("/api/chat.postMessage", self._post)
        self._runner, self.port = await serve_locally(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner:
            await self._runner.cleanup()


async def run(channels: int, global_rate: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="pw-digest-bench-"))
    async with RateLimitedSlack(global_rate, 1.0) as fake:
        settings = Settings(
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'bench.db'}",
            slack_bot_token="xoxb-bench",
            slack_signing_secret="bench",
            slack_api_url=f"http://127.0.0.1:{fake.port}/api/",
            sources_file=Path(__file__).resolve().parent.parent
            / "tests"
            / "fixtures"
            / "no_sources.yaml",
        )
        core = await PolicyWatch.open(settings)
        start = time.perf_counter()
        yesterday = datetime.now(UTC) - timedelta(days=1)
        for n in range(channels):
            await core.store.save_subscription(
                Subscription(
                    "slack",
                    "T1",
                    f"C{n:05d}",
                    "ev-tariffs",
                    "daily",
                    "00:00",
                    "UTC",
                    last_due_at=yesterday,
                )
            )
        subs = await core.store.all_subscriptions()
        await core.store.enqueue([], [CursorUpdate(s.id or 0, 0, yesterday, False) for s in subs])
        await core.ingest(
            [
                Item(
                    id="b1",
                    title="US raises tariffs on Chinese EVs",
                    url="https://b.example/1",
                    source="Reuters",
                )
            ]
        )
        built = await core.run_digests()
        setup = time.perf_counter() - start
        adapter = SlackAdapter(core, settings)
        sender = OutboxSender(
            core.store,
            {"slack": adapter},
            Pacing(global_per_second=global_rate, channel_interval=1.0),
        )
        start = time.perf_counter()
        report = await sender.drain()
        while await core.store.outbox("pending") or await core.store.outbox("sending"):
            await asyncio.sleep(0.2)  # rows waiting out a Retry-After
            more = await sender.drain()
            report.sent += more.sent
            report.retried += more.retried
            report.failed += more.failed
        drained = time.perf_counter() - start
        await core.close()
    messages = sum(adapter.part_count(b.reply) for b in built)  # a digest may be several
    minimum = messages / global_rate
    lost = messages - len(fake.posted)
    duplicated = sum(count - 1 for count in fake.posted.values() if count > 1)
    print(
        f"channels {channels}, digests built {len(built)}, {messages} messages (setup {setup:.1f} s)"
    )
    print(
        f"sent {report.sent}, retried {report.retried}, failed {report.failed}, 429s from the fake {fake.limited}"
    )
    print(
        f"drain time {drained:.1f} s vs theoretical minimum {minimum:.1f} s: {drained / minimum - 1:+.1%} (target within 10%)"
    )
    print(f"lost {lost}, duplicated {duplicated}")
    for error in sorted(set(report.errors))[:5]:
        print(f"error: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--channels", type=int, default=10_000)
    parser.add_argument("--global-rate", type=float, default=50.0)
    args = parser.parse_args()
    asyncio.run(run(args.channels, args.global_rate))


if __name__ == "__main__":
    main()
