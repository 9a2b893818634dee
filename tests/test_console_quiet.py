"""The console with sources that fail: no warning lines through the prompt,
one summary line saying what failed and where to look, and DNS failures
worded as such (not as the SSRF guard's refusals)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.runner import failure_summary
from bot.sources import FetchReport
from tests.bot_process import bot_env


class _Gone(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def gone_feeds() -> Iterator[str]:
    """A feed server on 127.0.0.1 where every feed is gone (404)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gone)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_failing_sources_are_one_line_in_the_console(tmp_path: Path, gone_feeds: str) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        + "".join(
            f"  - {{id: feed-{n}, kind: rss, name: Feed {n}, url: '{gone_feeds}/{n}.xml'}}\n"
            for n in range(3)
        )
    )
    env = {
        **bot_env(tmp_path, POLICYWATCH_ALLOW_PRIVATE_URLS="1"),
        "POLICYWATCH_SOURCES_FILE": str(sources),
    }
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--sample"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert bot.stdin is not None and bot.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = bot.stdout.readline()
        seen.append(line)
        if line.startswith("sources:") or not line:
            break
    out, err = bot.communicate("sources\nquit\n", timeout=60)
    assert bot.returncode == 0, err
    assert seen[-1] == "sources: 3 of 3 could not be fetched; `sources` shows each one's error\n"
    assert err == ""  # no WARNING lines through the prompt
    assert out.count("FAILING") == 3 and "HTTP 404" in out  # the details are in `sources`


def _report(source: str, error: str | None) -> FetchReport:
    return FetchReport(source, "error" if error else "ok", error=error)


def test_the_summary_says_when_no_host_could_be_resolved() -> None:
    offline = [_report(f"s{n}", f"could not resolve h{n}.example (no network)") for n in range(4)]
    assert failure_summary(offline) == (
        "sources: 4 of 4 could not be fetched: could not resolve their hosts (no network?); "
        "`sources` shows each one's error"
    )
    mixed = [*offline[:2], _report("s9", "HTTP 500"), _report("ok", None)]
    assert failure_summary(mixed) == (
        "sources: 3 of 4 could not be fetched (2 could not resolve their hosts); "
        "`sources` shows each one's error"
    )
    assert failure_summary([_report("ok", None)]) is None
