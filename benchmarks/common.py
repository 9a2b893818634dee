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


def load_relevance_set(
    path: Path, halves: frozenset[str] = frozenset({"tune", "holdout"})
) -> list[tuple[Item, dict[str, Any]]]:
    """A labelled set's (item, labels) pairs, refusing any item whose ``half``
    is not one of ``halves``: the held-out set must be held out whole, so an
    item marked for tuning there is a data error, not something to skip."""
    rows = load_devset(path)
    for item, labels in rows:
        if labels.get("half") not in halves:
            raise ValueError(f"{path}: item {item.id} has half={labels.get('half')!r}")
    return rows


def load_tuning_set() -> list[tuple[Item, dict[str, Any]]]:
    """Both halves of ``relevance_eval.jsonl``: each was looked at while the
    watchlists were tuned, so together they are the tuning set."""
    return load_relevance_set(DATA / "relevance_eval.jsonl")


def load_heldout_set() -> list[tuple[Item, dict[str, Any]]]:
    """``relevance_fresh.jsonl``, written after the tuning and never tuned on:
    the honest estimate. Read its totals only (``benchmarks.relevance``)."""
    return load_relevance_set(DATA / "relevance_fresh.jsonl", frozenset({"holdout"}))


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
