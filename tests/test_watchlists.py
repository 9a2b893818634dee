"""Watchlist files: the shipped set is valid; bad files name the line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.watchlists import (
    WatchlistEdit,
    WatchlistFileError,
    apply_edits,
    load_catalog,
    load_watchlist_file,
    shipped_watchlists_dir,
    validate_folder,
)

GOOD = """\
id: my-list
name: My list
description: things
include:
  - battery
"""


def test_shipped_watchlists_are_valid_and_complete() -> None:
    folder = shipped_watchlists_dir()
    assert validate_folder(folder) == []
    catalog = load_catalog(folder)
    assert set(catalog.watchlists) == {
        "house-china-committee",
        "catl-licensing",
        "chinese-ev-partnerships",
        "ev-tax-credits",
        "ev-tariffs",
    }
    # Every shipped watchlist says in words what it is for.
    assert all(len(w.scope) > 40 for w in catalog.watchlists.values())
    assert set(catalog.companies) == {
        "ford",
        "xiaomi",
        "byd",
        "catl",
        "tesla",
        "general-motors",
        "sk-on",
        "huawei",
    }


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (GOOD.replace("  - battery\n", ""), 4, "include"),
        (GOOD + "priority: sometimes\n", 6, "priority must be one of"),
        (GOOD + "colour: red\n", 6, "colour"),
        (GOOD.replace("id: my-list", "id: My List!"), 1, "id must be"),
        (GOOD + "include: [\n", 7, "invalid YAML"),
        (GOOD.replace("  - battery", "  - ''"), 5, "empty phrase"),
        (GOOD.replace("id: my-list", "id: other-list"), 1, "must equal the file name"),
        # The same check as a term added in chat (bot.terms).
        (GOOD.replace("  - battery", "  - e"), 5, "'e' is too short"),
        (GOOD.replace("  - battery", '  - "\\u200bbattery"'), 5, "U+200B (ZERO WIDTH SPACE)"),
        (GOOD + "exclude: ['*']\n", 6, "'*' has no letter or digit"),
        (GOOD + "require: [[EV, ev]]\n", 6, "'ev' is too short"),
        (GOOD + "require: [[EV]]\nnear: 0\n", 7, "near must be a number of words"),
        (GOOD + "near: 5\n", 6, "near needs a require group"),
        (GOOD + "title: sometimes\n", 6, "title"),
        (GOOD + "also:\n  - include: [plant]\n    near: 4\n", 8, "near needs a require group"),
        (GOOD + "also:\n  - require: [[EV]]\n", 7, "also.0.include"),
        (GOOD + "require: [[]]\n", 6, "empty require group"),
    ],
)
def test_bad_file_reports_line_and_reason(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = tmp_path / "my-list.yaml"
    path.write_text(text)
    with pytest.raises(WatchlistFileError) as caught:
        load_watchlist_file(path)
    assert caught.value.line == line
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_unknown_company_reference_is_reported(tmp_path: Path) -> None:
    (tmp_path / "companies.yaml").write_text(
        "companies:\n  - id: acme\n    name: Acme\n    aliases: [Acme]\n"
    )
    (tmp_path / "my-list.yaml").write_text(GOOD + "companies: [nobody]\n")
    problems = validate_folder(tmp_path)
    assert len(problems) == 1
    assert "unknown company 'nobody'" in problems[0].reason
    assert problems[0].line == 6


def test_edits_replay_over_the_shipped_catalog_without_changing_it() -> None:
    base = load_catalog(shipped_watchlists_dir())
    edited = apply_edits(
        base,
        [
            WatchlistEdit("create", "lfp-plants", "LFP plants"),
            WatchlistEdit("add", "lfp-plants", "LFP plant"),
            WatchlistEdit("exclude", "ev-tariffs", "Section 232"),
            WatchlistEdit("delete", "ev-tax-credits"),
            WatchlistEdit("alias", "ford", "Blue Oval Motors"),
        ],
    )
    assert edited.watchlists["lfp-plants"].include == ["LFP plant"]
    assert "Section 232" in edited.watchlists["ev-tariffs"].exclude
    assert "ev-tax-credits" not in edited.watchlists
    assert "Blue Oval Motors" in edited.companies["ford"].aliases
    assert "ev-tax-credits" in base.watchlists
    assert "Section 232" not in base.watchlists["ev-tariffs"].exclude
