"""The operations endpoints, served by a real ``policywatch run`` process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.bot_process import bot_env, free_port


def test_healthz_readyz_and_metrics(tmp_path: Path) -> None:
    port = free_port()
    env = bot_env(tmp_path, POLICYWATCH_OPS_PORT=str(port))
    # The console adapter reads stdin; keep it open so the bot keeps running.
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--sample"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "ops endpoint never came up"
                time.sleep(0.1)
        assert health.status_code == 200
        assert httpx.get(f"{base}/readyz", timeout=2).status_code == 200
        metrics = httpx.get(f"{base}/metrics", timeout=2)
        assert metrics.status_code == 200
        text = metrics.text
        assert "# TYPE policywatch_items_ingested_total counter" in text
        ingested = next(
            line
            for line in text.splitlines()
            if line.startswith("policywatch_items_ingested_total ")
        )
        assert float(ingested.split()[1]) > 40  # the sample corpus
        assert "policywatch_items " in text
    finally:
        assert bot.stdin is not None
        bot.stdin.close()
        bot.wait(timeout=20)
    assert bot.returncode == 0, bot.stderr.read() if bot.stderr else ""
