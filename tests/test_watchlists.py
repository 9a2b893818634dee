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


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("concepts:\n  - id: tariff\n    phrases: []\n", 3, "phrases"),
        ("concepts:\n  - id: Tariff!\n    phrases: [duty]\n", 2, "id must be"),
        (
            "concepts:\n  - id: tariff\n    phrases: [duty]\n  - id: tariff\n    phrases: [levy]\n",
            4,
            "duplicate concept id 'tariff'",
        ),
        (
            "concepts:\n  - id: tariff\n    phrases: [Duties]\n  - id: tax\n    phrases: [duties]\n",
            5,
            "'duties' is already in concept 'tariff'",
        ),
        ('concepts:\n  - id: tariff\n    phrases: ["—"]\n', 3, "has no letter or digit"),
        (
            "concepts:\n  - id: aa\n    phrases: [levy]\ncontrasts:\n  - [aa, nowhere]\n",
            5,
            "unknown concept 'nowhere' in contrasts",
        ),
        (
            "concepts:\n  - id: aa\n    phrases: [levy]\ncontrasts:\n  - [aa, aa]\n",
            5,
            "needs two or more concepts",
        ),
        (
            "concepts:\n  - id: aa\n    phrases: [levy]\n  - id: bb\n    phrases: [duty]\n"
            "  - id: cc\n    phrases: [surtax]\ncontrasts:\n  - [aa, bb]\n  - [cc, aa]\n",
            10,
            "concept 'aa' is in two contrast families",
        ),
        (
            "concepts:\n  - id: aa\n    phrases: [Ford]\nspeakers: [aa, nobody]\n",
            4,
            "unknown concept 'nobody' in speakers",
        ),
    ],
)
def test_bad_lexicon_reports_line_and_reason(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    (tmp_path / "my-list.yaml").write_text(GOOD)
    (tmp_path / "lexicon.yaml").write_text(text)
    problems = validate_folder(tmp_path)
    assert [(p.path.name, p.line) for p in problems] == [("lexicon.yaml", line)]
    assert reason in problems[0].reason
    with pytest.raises(WatchlistFileError):
        load_catalog(tmp_path)


def test_lexicon_is_loaded_beside_the_watchlists_and_kept_by_edits(tmp_path: Path) -> None:
    (tmp_path / "my-list.yaml").write_text(GOOD)
    (tmp_path / "lexicon.yaml").write_text("concepts:\n  - id: tariff\n    phrases: [duty, levy]\n")
    catalog = load_catalog(tmp_path)
    assert list(catalog.watchlists) == ["my-list"]  # the lexicon is not a watchlist
    assert catalog.lexicon == {"tariff": ["duty", "levy"]}
    edited = apply_edits(catalog, [WatchlistEdit("add", "my-list", "cells")])
    assert edited.lexicon == catalog.lexicon
    assert "tariff" in load_catalog(shipped_watchlists_dir()).lexicon


def test_contrast_families_and_speakers_are_loaded_and_kept_by_edits(tmp_path: Path) -> None:
    (tmp_path / "my-list.yaml").write_text(GOOD)
    (tmp_path / "lexicon.yaml").write_text(
        "concepts:\n  - id: s232\n    phrases: [Section 232]\n"
        "  - id: s301\n    phrases: [Section 301]\n  - id: ford\n    phrases: [Ford]\n"
        "contrasts:\n  - [s232, s301]\nspeakers: [ford]\n"
    )
    catalog = load_catalog(tmp_path)
    assert catalog.contrasts == [("s232", "s301")]
    assert catalog.speakers == ["ford"]
    edited = apply_edits(catalog, [WatchlistEdit("add", "my-list", "cells")])
    assert (edited.contrasts, edited.speakers) == (catalog.contrasts, catalog.speakers)
    shipped = load_catalog(shipped_watchlists_dir())
    assert ("anti-dumping", "countervailing") in shipped.contrasts
    assert {"party-ford", "house-chamber", "agency-treasury"} <= set(shipped.speakers)
