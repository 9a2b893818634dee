"""The relevance benchmark keeps its held-out set held out: a file that marks
an item for tuning is refused, and only totals are ever shown for it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.common import load_relevance_set
from benchmarks.relevance import totals_only


def _write(path: Path, halves: list[str]) -> Path:
    rows = [
        {
            "id": f"x{n}",
            "title": "Ford and Xiaomi in talks",
            "summary": "",
            "url": "https://example.com/x",
            "source": "Example",
            "published": "2026-01-31T00:00:00Z",
            "source_kind": "news",
            "expected": {"watchlists": [], "companies": []},
            "half": half,
        }
        for n, half in enumerate(halves)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_held_out_set_refuses_an_item_marked_for_tuning(tmp_path: Path) -> None:
    path = _write(tmp_path / "fresh.jsonl", ["holdout", "tune"])
    with pytest.raises(ValueError, match="x1 has half='tune'"):
        load_relevance_set(path, frozenset({"holdout"}))


def test_tuning_set_takes_both_halves(tmp_path: Path) -> None:
    rows = load_relevance_set(_write(tmp_path / "eval.jsonl", ["tune", "holdout"]))
    assert [item.id for item, _ in rows] == ["x0", "x1"]


def test_held_out_rows_are_totals_and_watchlists_only() -> None:
    scores = {
        key: Counter(tp=1)
        for key in ("companies:ford", "watchlists:ev-tariffs", "ALL companies", "ALL watchlists")
    }
    assert sorted(totals_only(scores)) == [
        "ALL companies",
        "ALL watchlists",
        "watchlists:ev-tariffs",
    ]
