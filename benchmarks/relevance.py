"""Precision and recall of the shipped watchlists and company directory:
``python -m benchmarks.relevance [--errors]``.

Three labelled sets are scored, all written to DOMAIN.md's definitions:

- the **held-out set**, ``relevance_fresh.jsonl``: written by a second writer
  after the watchlists were rewritten, and never tuned on. Only its totals
  (per watchlist, all watchlists, all companies) are printed, never an item or
  a per-company row, so that reading it cannot turn into tuning on it;
- the **tuning set**, the whole of ``relevance_eval.jsonl``: its two halves
  were both looked at while the watchlists were tuned, so neither is held out
  any more and they are scored together;
- the older development set.

``--errors`` lists the tuning set's misses and leaves the held-out set out of
the run altogether: tuning from the errors never reads the held-out numbers,
and each look at them is a deliberate run without the flag.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterable
from typing import Any

from benchmarks.common import load_devset, load_heldout_set, load_tuning_set, precision_recall
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


def totals_only(scores: Scores) -> Scores:
    """The rows of ``scores`` that may be shown for the held-out set: each
    watchlist and the two totals, no per-company rows (a company's handful of
    items would come close to naming them)."""
    return {k: v for k, v in scores.items() if k.startswith(("ALL ", "watchlists:"))}


def evaluate(show_errors: bool = False) -> dict[str, dict[str, tuple[float, float]]]:
    """Score the sets and print their tables; with ``show_errors`` list the
    tuning set's misses and do not score the held-out set at all."""
    matcher = Matcher(load_catalog(shipped_watchlists_dir()))
    results = {}
    if show_errors:
        print("tuning-set errors (fp: matched but not labelled; fn: labelled but missed)")
    else:
        heldout = load_heldout_set()
        results["heldout"] = report(
            f"HELD-OUT set: relevance_fresh.jsonl ({len(heldout)} items, never tuned on; "
            "totals only, items never shown)",
            totals_only(score(matcher, heldout)),
        )
    tuning = load_tuning_set()
    results["tuning"] = report(
        f"tuning set: relevance_eval.jsonl, both halves ({len(tuning)} items)",
        score(matcher, tuning, show_errors),
    )
    dev = load_devset()
    results["devset"] = report(f"development set ({len(dev)} items)", score(matcher, dev))
    if show_errors:
        print("\n(the held-out set is not scored with --errors; run without it for its totals)")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--errors",
        action="store_true",
        help="list the tuning set's false positives and negatives (skips the held-out set)",
    )
    evaluate(parser.parse_args().errors)


if __name__ == "__main__":
    main()
