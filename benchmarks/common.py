"""Helpers shared by the benchmarks: loading the labelled sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.models import Item

DATA = Path(__file__).resolve().parent / "data"


def load_devset(path: Path = DATA / "devset.jsonl") -> list[tuple[Item, dict[str, Any]]]:
    """(item, labels) pairs from a JSON Lines file; labels are the whole row
    (expected, story, event_type, answers, half ... whatever the file has)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            rows.append((Item.from_json(data), data))
    return rows


def load_relevance_eval(
    path: Path = DATA / "relevance_eval.jsonl",
) -> dict[str, list[tuple[Item, dict[str, Any]]]]:
    """The independent relevance set as {"tune": [...], "holdout": [...]}.

    The halves are kept apart here so no caller can mix them by accident: the
    watchlists are tuned on "tune" only and "holdout" is the honest estimate.
    """
    halves: dict[str, list[tuple[Item, dict[str, Any]]]] = {"tune": [], "holdout": []}
    for item, labels in load_devset(path):
        if labels.get("half") not in halves:
            raise ValueError(f"{path}: item {item.id} has half={labels.get('half')!r}")
        halves[labels["half"]].append((item, labels))
    return halves


def precision_recall(tp: int, fp: int, fn: int) -> tuple[float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall
