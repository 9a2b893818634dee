"""Helpers shared by the benchmarks: loading the labelled development set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.models import Item

DATA = Path(__file__).resolve().parent / "data"


def load_devset(path: Path = DATA / "devset.jsonl") -> list[tuple[Item, dict[str, Any]]]:
    """(item, labels) pairs; labels hold expected, story, event_type and answers."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            rows.append((Item.from_json(data), data))
    return rows


def precision_recall(tp: int, fp: int, fn: int) -> tuple[float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall
