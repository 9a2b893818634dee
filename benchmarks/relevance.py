"""Precision and recall of the shipped watchlists and company directory:
``python -m benchmarks.relevance [--errors]``.

Three labelled sets are scored: the tuning half and the held-out half of
``relevance_eval.jsonl`` (written to DOMAIN.md's definitions by someone who
never saw the watchlists, split by item), and the older development set.
``--errors`` lists the misses of the tuning half only: the held-out half is
reported as totals so that reading it never turns into tuning on it.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterable
from typing import Any

from benchmarks.common import load_devset, load_relevance_eval, precision_recall
from bot.matcher import Matcher
from bot.models import Item
from bot.watchlists import load_catalog, shipped_watchlists_dir

Scores = dict[str, Counter[str]]


def score(
    matcher: Matcher, rows: Iterable[tuple[Item, dict[str, Any]]], show_errors: bool = False
) -> Scores:
    """tp/fp/fn per ``watchlists:ID`` and ``companies:ID``, plus ``ALL watchlists``
    and ``ALL companies``; prints each miss when ``show_errors``."""
    scores: Scores = {}
    for item, labels in rows:
        result = matcher.match(item)
        for kind, found in (("watchlists", result.watchlists), ("companies", result.companies)):
            expected = set(labels["expected"][kind])
            for key in sorted(expected | set(found)):
                outcome = (
                    "tp" if key in expected and key in found else "fp" if key in found else "fn"
                )
                scores.setdefault(f"ALL {kind}", Counter())[outcome] += 1
                scores.setdefault(f"{kind}:{key}", Counter())[outcome] += 1
                if show_errors and outcome != "tp":
                    why = f" ({result.why(key)})" if outcome == "fp" else ""
                    print(f"  {outcome} {key:24} {item.id} {item.title[:80]}{why}")
    return scores


def _line(label: str, counts: Counter[str]) -> tuple[str, tuple[float, float]]:
    p, r = precision_recall(counts["tp"], counts["fp"], counts["fn"])
    text = f"{label:36} {p:9.3f} {r:7.3f} {counts['tp']:4} {counts['fp']:4} {counts['fn']:4}"
    return text, (p, r)


def report(title: str, scores: Scores) -> dict[str, tuple[float, float]]:
    """Print one table; returns (precision, recall) per key."""
    print(f"\n{title}")
    print(f"{'id':36} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    summary = {}
    # Per-id rows first, then the two totals.
    for key in sorted(scores, key=lambda k: (k.startswith("ALL"), k)):
        text, summary[key] = _line(key, scores[key])
        print(text)
    return summary


def evaluate(show_errors: bool = False) -> dict[str, dict[str, tuple[float, float]]]:
    matcher = Matcher(load_catalog(shipped_watchlists_dir()))
    halves = load_relevance_eval()
    if show_errors:
        print("tuning-half errors (fp: matched but not labelled; fn: labelled but missed)")
    tune = score(matcher, halves["tune"], show_errors)
    results = {
        "tune": report(f"tuning half ({len(halves['tune'])} items)", tune),
        "holdout": report(
            f"HELD-OUT half ({len(halves['holdout'])} items; totals only, items never shown)",
            score(matcher, halves["holdout"]),
        ),
    }
    dev = load_devset()
    results["devset"] = report(f"development set ({len(dev)} items)", score(matcher, dev))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--errors", action="store_true", help="list the tuning half's false positives and negatives"
    )
    evaluate(parser.parse_args().errors)


if __name__ == "__main__":
    main()
