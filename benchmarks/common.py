"""Helpers shared by the benchmarks: loading the labelled sets, and the share
of ingestion that event typing and story grouping take."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.matcher import Matcher
from bot.models import Item
from bot.stories import EVENT_RULES, StoryIndex
from bot.watchlists import Catalog, load_catalog, shipped_watchlists_dir

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


def typing_and_grouping_us(items: list[Item], catalog: Catalog, rounds: int = 5) -> float:
    """Microseconds per item that event typing and story grouping add to
    matching ``items``, as ``PolicyWatch.ingest`` runs them: a typed match
    and ``StoryIndex.assign`` per item, minus a plain match. The two runs take
    turns, best of ``rounds`` each, so a slow spell on the machine hits both."""
    plain = Matcher(catalog)
    typed = Matcher(catalog, events=EVENT_RULES)

    def run_plain() -> None:
        for item in items:
            plain.match(item)

    def run_both() -> StoryIndex:
        stories = StoryIndex()
        seen_at = datetime.now(UTC)
        for item in items:
            result = typed.match(item)
            stories.assign(item, result.companies, result.watchlists, result.event, seen_at=seen_at)
        return stories

    best = {run_plain: float("inf"), run_both: float("inf")}
    for _ in range(rounds):
        for run in best:
            started = time.perf_counter()
            result = run()
            best[run] = min(best[run], time.perf_counter() - started)
            del result  # freeing the story index is not per-item work
    return (best[run_both] - best[run_plain]) / len(items) * 1e6


def ingest_share_line(items: list[Item], ingest_us: float) -> str:
    """Issue 20's measure: typing and grouping as a share of
    ``PolicyWatch.ingest`` per item (target at most 10%)."""
    added = typing_and_grouping_us(items, load_catalog(shipped_watchlists_dir()))
    return (
        f"typing + grouping {added:.2f} us/item = {added / ingest_us:.1%} of PolicyWatch.ingest "
        f"({ingest_us:.0f} us/item on local SQLite)  (target <= 10%)"
    )
