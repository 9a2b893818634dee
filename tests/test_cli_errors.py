"""Bad input on the command line and in the environment: one line on stderr
saying what is wrong, exit status 2, never a traceback; and ``| head`` ends
the output quietly.

Each case is a real ``policywatch`` subprocess.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bot_process import bot_env, free_port

BAD_INPUT = 2

# (environment, arguments, what the one line must say)
CASES: list[tuple[dict[str, str], list[str], str]] = [
    ({"POLICYWATCH_DATABASE_URL": "not a url"}, ["sources"], "unsupported database URL scheme"),
    ({"POLICYWATCH_DATABASE_URL": "mysql://x/y"}, ["ask", "help"], "scheme 'mysql'"),
    (
        {"POLICYWATCH_DATABASE_URL": "postgresql://u:s3cret-pw@127.0.0.1:abc/db"},
        ["sources"],
        "not a usable PostgreSQL URL",
    ),
    (
        {"POLICYWATCH_DATABASE_URL": "postgresql://u:s3cret-pw@[::1/db"},
        ["digest"],
        "not a usable PostgreSQL URL",
    ),
    (
        {"POLICYWATCH_DATABASE_URL": "postgresql://u@127.0.0.1:5432/test?sslmode=maybe"},
        ["sources"],
        "sslmode",
    ),
    ({"POLICYWATCH_OUTBOX_LEASE_SECONDS": "abc"}, ["digest"], "POLICYWATCH_OUTBOX_LEASE_SECONDS"),
    ({"POLICYWATCH_OUTBOX_LEASE_SECONDS": "-5"}, ["digest"], "got '-5'"),
    ({"POLICYWATCH_SLACK_PORT": "http"}, ["run"], "POLICYWATCH_SLACK_PORT must be a TCP port"),
    ({"POLICYWATCH_SLACK_PORT": "70000"}, ["run"], "got '70000'"),
    ({"POLICYWATCH_OPS_PORT": "9x"}, ["run"], "POLICYWATCH_OPS_PORT"),
    ({"DISCORD_GUILD_ID": "my-server"}, ["ask", "help"], "DISCORD_GUILD_ID must be"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, ["run"], "neither SLACK_SIGNING_SECRET"),
    ({"SLACK_SIGNING_SECRET": "s"}, ["run"], "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN"),
    ({"SLACK_APP_TOKEN": "xapp-1"}, ["run"], "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN"),
    ({"SLACK_SIGNING_SECRET": "s"}, ["digest"], "SLACK_BOT_TOKEN is not"),
    ({}, ["match", "--input", "/nonexistent-file.jsonl"], "cannot read --input"),
    ({}, ["match", "--input", "/"], "cannot read --input"),
    ({}, ["digest", "--now", "yesterday"], "--now must be ISO 8601"),
    ({}, ["frobnicate"], "invalid choice"),
    ({}, ["ask"], "required"),
    ({}, ["ingest", "--feed"], "expected one argument"),
]


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("settings", "args", "says"), CASES)
def test_bad_input_is_one_line_and_status_two(
    tmp_path: Path, settings: dict[str, str], args: list[str], says: str
) -> None:
    env = bot_env(tmp_path, **{"POLICYWATCH_SLACK_PORT": str(free_port()), **settings})
    result = _run(env, *args)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == BAD_INPUT, (args, settings, result.stderr)
    assert len(lines) == 1, result.stderr
    assert says in lines[0], lines[0]
    assert "Traceback" not in result.stderr and "s3cret-pw" not in result.stderr
    assert result.stdout == "" or "policywatch console" not in result.stdout  # nothing started


def test_a_watchlist_folder_that_does_not_load_is_one_line_and_status_one(
    tmp_path: Path,
) -> None:
    env = bot_env(tmp_path, POLICYWATCH_WATCHLISTS_DIR="/nonexistent-folder")
    result = _run(env, "sources")
    assert result.returncode == 1  # as `watchlists validate` reports a bad file
    assert result.stderr.splitlines() == ["policywatch: /nonexistent-folder:1: not a folder"]


def test_an_unreachable_database_is_one_line_and_status_one(tmp_path: Path) -> None:
    env = bot_env(tmp_path, POLICYWATCH_DATABASE_URL="sqlite:////dev/null/inside-a-file.db")
    result = _run(env, "sources")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "policywatch: cannot open the SQLite database /dev/null/inside-a-file.db: File exists"
    ]


def test_a_closed_pipe_ends_the_output_quietly(tmp_path: Path) -> None:
    """``policywatch match ... | head -1``: no "[Errno 32] Broken pipe", no traceback."""
    items = tmp_path / "items.jsonl"
    items.write_text(
        "".join(
            f'{{"id": "n{n}", "title": "Ford and CATL talk tariffs {n}"}}\n' for n in range(5000)
        )
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "match", "--input", str(items)],
        env=bot_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(b'{"id": "n0"')
    process.stdout.close()  # what head does after its first line
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert stderr == ""


def test_a_database_locked_past_the_busy_timeout_is_one_line(tmp_path: Path) -> None:
    env = bot_env(tmp_path)
    assert _run(env, "db", "upgrade").returncode == 0
    holder = sqlite3.connect(tmp_path / "policywatch.db", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        result = _run(env, "digest")
    finally:
        holder.close()
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "policywatch: the SQLite database failed: database is locked"
    ]
