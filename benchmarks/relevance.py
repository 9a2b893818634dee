"""Precision and recall of the shipped watchlists and company directory on the
labelled development set: ``python -m benchmarks.relevance [--errors]``."""

from __future__ import annotations

import argparse
from collections import Counter

from benchmarks.common import load_devset, precision_recall
from bot.matcher import Matcher
from bot.watchlists import load_catalog, shipped_watchlists_dir


def evaluate(show_errors: bool = False) -> dict[str, tuple[float, float]]:
    matcher = Matcher(load_catalog(shipped_watchlists_dir()))
    counts: dict[str, Counter[str]] = {"watchlists": Counter(), "companies": Counter()}
    per_id: dict[str, Counter[str]] = {}
    for item, labels in load_devset():
        result = matcher.match(item)
        for kind, found in (("watchlists", result.watchlists), ("companies", result.companies)):
            expected = set(labels["expected"][kind])
            for key in expected | set(found):
                outcome = (
                    "tp" if key in expected and key in found else "fp" if key in found else "fn"
                )
                counts[kind][outcome] += 1
                per_id.setdefault(f"{kind}:{key}", Counter())[outcome] += 1
                if show_errors and outcome != "tp":
                    print(f"  {outcome} {key:24} {item.id} {item.title[:90]}")
    summary = {}
    print(f"{'id':40} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    for key in sorted(per_id):
        c = per_id[key]
        p, r = precision_recall(c["tp"], c["fp"], c["fn"])
        print(f"{key:40} {p:9.3f} {r:7.3f} {c['tp']:4} {c['fp']:4} {c['fn']:4}")
    for kind, c in counts.items():
        p, r = precision_recall(c["tp"], c["fp"], c["fn"])
        summary[kind] = (p, r)
        print(f"{'ALL ' + kind:40} {p:9.3f} {r:7.3f} {c['tp']:4} {c['fp']:4} {c['fn']:4}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--errors", action="store_true", help="list every false positive and negative"
    )
    evaluate(parser.parse_args().errors)


if __name__ == "__main__":
    main()
