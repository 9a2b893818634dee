"""What ``policywatch run`` says when it starts, and when it cannot.

Real subprocesses: the start-up line for each adapter goes to stderr whatever
the log level, and a failure at start (a port already taken) is reported as
its real cause, first and alone, with everything already started stopped.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.bot_process import bot_env, free_port


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_taken_ops_port_is_the_first_and_only_thing_said(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = bot_env(tmp_path, POLICYWATCH_OPS_PORT=str(port))
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", "run", "--sample"],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"policywatch: cannot serve /healthz and /metrics on 127.0.0.1:{port} "
        "(POLICYWATCH_OPS_PORT): Address already in use"
    ]


def test_slack_over_http_says_where_it_listens(tmp_path: Path) -> None:
    port, ops = free_port(), free_port()
    env = bot_env(
        tmp_path,
        POLICYWATCH_SLACK_PORT=str(port),
        POLICYWATCH_OPS_PORT=str(ops),
        SLACK_BOT_TOKEN="xoxb-start-test",
        SLACK_SIGNING_SECRET="start-secret",
        SLACK_API_URL="http://127.0.0.1:9/api/",  # never called during start-up
    )
    bot = _start(env)
    try:
        assert bot.stderr is not None
        lines = [bot.stderr.readline().rstrip("\n") for _ in range(2)]
    finally:
        bot.send_signal(signal.SIGTERM)
        _, rest = bot.communicate(timeout=30)
    assert lines == [
        f"ops: /healthz /readyz /metrics on 127.0.0.1:{ops}",
        f"Slack: HTTP on 0.0.0.0:{port} /slack/events",
    ]
    assert bot.returncode == 0, rest
    assert "xoxb-start-test" not in rest


def test_the_console_says_how_to_begin(tmp_path: Path) -> None:
    bot = _start(bot_env(tmp_path))
    out, err = bot.communicate("quit\n", timeout=60)
    assert bot.returncode == 0, err
    assert out.startswith("policywatch console — type `help`")
    assert err == ""


def test_sigterm_during_the_first_ticks_leaves_no_closed_database_noise(tmp_path: Path) -> None:
    """Jobs still running when the bot stops are ended before the store closes."""
    bot = _start(bot_env(tmp_path), "--sample")
    assert bot.stdout is not None
    assert bot.stdout.read(len("policywatch console")) == "policywatch console"
    time.sleep(0.2)
    bot.send_signal(signal.SIGTERM)
    _, err = bot.communicate(timeout=30)
    assert bot.returncode == 0
    assert "closed database" not in err and "Traceback" not in err
