"""``policywatch run`` as operators start it: with Slack credentials it serves
Slack (not the console), answers a signed slash command through the real
adapter, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

import httpx

from adapters.slack.tests.fake_slack import FakeSlack, command_body, sign
from tests.bot_process import bot_env, free_port

SECRET = "run-test-secret"


async def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            assert time.monotonic() < deadline, "the bot never started listening"
            await asyncio.sleep(0.1)


async def test_run_serves_slack_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    async with FakeSlack() as fake:
        env = bot_env(
            tmp_path,
            POLICYWATCH_SLACK_PORT=str(port),
            SLACK_BOT_TOKEN="xoxb-run-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.api_url,
        )
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--sample",
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await _wait_for_port(port)
            body, content_type = command_body(
                "company ford", response_url=fake.response_url("ford")
            )
            headers = {"Content-Type": content_type, **sign(SECRET, body)}
            async with httpx.AsyncClient() as client:
                ack = await client.post(
                    f"http://127.0.0.1:{port}/slack/events", content=body, headers=headers
                )
            assert ack.status_code == 200
            [answer] = await fake.wait_calls("response_url", timeout=10)
            assert "Ford Motor Company" in str(answer.args)
        finally:
            bot.send_signal(signal.SIGTERM)
            stdout, stderr = await asyncio.wait_for(bot.communicate(), timeout=20)
        assert bot.returncode == 0, stderr.decode()
        assert b"policywatch>" not in stdout  # no console when Slack is configured
        assert b"xoxb-run-test" not in stdout + stderr  # the token never reaches the logs
