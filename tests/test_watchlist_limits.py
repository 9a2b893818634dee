"""Watchlist files past the limits are refused at once, by ``watchlists
validate`` (file:line and the limit, exit 1) and when the bot loads them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.watchlists import (
    MAX_FILE_BYTES,
    MAX_TERMS,
    WatchlistFileError,
    load_catalog,
    validate_folder,
)
from tests.bot_process import bot_env

HEAD = "id: big\nname: Big\ndescription: too much\n"


def _folder(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "big.yaml").write_text(text)
    return folder


TOO_MUCH = {
    "file": (
        HEAD + "include:\n" + "".join(f"  - term {n}\n" for n in range(MAX_FILE_BYTES // 10)),
        "a watchlist file may have at most 2 MB",
    ),
    "terms": (
        HEAD + "include:\n" + "".join(f"  - term{n}\n" for n in range(MAX_TERMS + 1)),
        f"more than {MAX_TERMS:,} phrases",
    ),
    # A few lines of YAML aliases that expand to 10^9 phrases.
    "aliases": (
        HEAD
        + "a: &a [xyz, xyz, xyz, xyz, xyz, xyz, xyz, xyz, xyz, xyz]\n"
        + "".join(
            f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 10)}]\n"
            for n in range(8)
        )
        + "include: *i\n",
        f"more than {MAX_TERMS:,} phrases",
    ),
}


@pytest.mark.parametrize("case", list(TOO_MUCH))
def test_a_file_past_a_limit_is_refused(tmp_path: Path, case: str) -> None:
    text, says = TOO_MUCH[case]
    folder = _folder(tmp_path, text)
    [problem] = validate_folder(folder)
    assert says in problem.reason, problem.reason
    with pytest.raises(WatchlistFileError, match=says):
        load_catalog(folder)


def test_validate_names_the_file_and_the_limit(tmp_path: Path) -> None:
    folder = _folder(tmp_path, TOO_MUCH["terms"][0])
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "watchlists", "validate", str(folder)],
        env=bot_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert (
        result.stderr
        == f"{folder / 'big.yaml'}:1: more than 10,000 phrases; a file may have at most 10,000\n"
    )


def test_a_file_at_the_limits_loads(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        HEAD + "include:\n" + "".join(f"  - term{n}\n" for n in range(MAX_TERMS)),
    )
    catalog = load_catalog(folder)
    assert len(catalog.watchlists["big"].include) == MAX_TERMS
