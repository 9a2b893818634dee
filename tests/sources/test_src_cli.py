"""``policywatch ingest`` as a real subprocess: saved API answers, notes, bad input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pw_feedserver import FIXTURES

CONFORMANCE = Path(__file__).parent / "conformance"


def ingest(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "ingest", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("url", ["not a url", "ftp://user:hunter2@feeds.example/x"])
def test_feed_that_is_not_a_url_is_one_line_and_exit_2(env: dict[str, str], url: str) -> None:
    result = ingest(env, "--feed", url)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "--feed needs an absolute http(s) URL" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_saved_federal_register_answer(env: dict[str, str], tmp_path: Path) -> None:
    saved = tmp_path / "documents.json"
    shutil.copy(FIXTURES / "federal_register.json", saved)
    first = ingest(env, "--file", str(saved))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"{saved}: 2 new, 0 duplicates"
    assert ingest(env, "--file", str(saved)).stdout.strip() == f"{saved}: 0 new, 2 duplicates"


def test_unknown_encoding_is_read_and_said(env: dict[str, str]) -> None:
    path = CONFORMANCE / "rss20_unknown_encoding.xml"
    result = ingest(env, "--file", str(path))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert result.stdout.strip() == (
        f"{path}: 1 new, 0 duplicates; "
        "unknown encoding 'x-klingon-2026' in the XML declaration; read as UTF-8"
    )


def test_feed_with_no_usable_entry_says_why(env: dict[str, str]) -> None:
    path = CONFORMANCE / "rss20_all_without_links.xml"
    result = ingest(env, "--file", str(path))
    assert result.returncode == 1
    assert result.stdout.strip() == (f"{path}: error: no usable entries: 3 entries had no link")
