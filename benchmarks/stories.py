"""Story grouping, event typing and answer links on the labelled development
set, plus their speed on a synthetic stream: ``python -m benchmarks.stories
[--errors] [--items N]``.

Items are fed in publication order with companies and watchlists from the
shipped Matcher, as the bot does. Definitions:

* pair precision/recall/F1: over items with a story label, pairs predicted in
  one story vs pairs labelled as one story;
* event accuracy: over all items;
* link precision: of the items for which we predict ``answers`` (a claim story),
  the fraction whose claim story holds the labelled claim item. The labelled
  claim of an item is its own ``answers`` or, when that is empty, the one its
  story-mates point at (the dev set labels the link on some items of an answer
  story only). Link recall: of the items with their own ``answers`` label, the
  fraction linked to the story holding it.
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import combinations

from benchmarks.common import load_devset, precision_recall
from bot.matcher import Matcher
from bot.models import Item
from bot.stories import EVENT_RULES, Assignment, StoryIndex
from bot.watchlists import load_catalog, shipped_watchlists_dir

SEED = 20260131


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def evaluate(show_errors: bool = False) -> dict[str, float]:
    """Run the dev set through typing and grouping; print and return the metrics."""
    matcher = Matcher(load_catalog(shipped_watchlists_dir()), events=EVENT_RULES)
    index = StoryIndex()
    rows = load_devset()
    predicted: dict[str, Assignment] = {}
    types: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for item, _labels in rows:
        result = matcher.match(item)
        guess = result.event
        types[item.id], reasons[item.id] = guess.event_type, guess.reason
        predicted[item.id] = index.assign(item, result.companies, result.watchlists, guess)
    labels = {item.id: data for item, data in rows}
    titles = {item.id: item.title for item, _ in rows}
    story_of = {item_id: a.story_id for item_id, a in predicted.items()}

    # Clustering pairs over labelled items.
    labelled = [i for i in labels if labels[i]["story"]]
    tp = fp = fn = 0
    pair_errors: list[str] = []
    for a, b in combinations(labelled, 2):
        same_gold = labels[a]["story"] == labels[b]["story"]
        same_pred = story_of[a] == story_of[b]
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
        if same_gold != same_pred:
            kind = "merged " if same_pred else "split  "
            pair_errors.append(f"  {kind} {a} {labels[a]['story']:34} {b} {labels[b]['story']}")
    pair_p, pair_r = precision_recall(tp, fp, fn)

    # Event types.
    confusion = Counter((labels[i]["event_type"], types[i]) for i in labels)
    correct = sum(n for (gold, got), n in confusion.items() if gold == got)
    accuracy = correct / len(labels)

    # Answer links.
    story_claim: dict[str, str] = {}
    for data in labels.values():
        if data["answers"] and data["story"]:
            story_claim.setdefault(data["story"], data["answers"])
    link_ok = link_bad = 0
    link_errors: list[str] = []
    for i, assignment in predicted.items():
        if assignment.answers is None:
            continue
        gold = labels[i]["answers"] or story_claim.get(labels[i]["story"] or "")
        if gold is not None and story_of.get(gold) == assignment.answers:
            link_ok += 1
        else:
            link_bad += 1
            link_errors.append(
                f"  wrong link {i} -> {assignment.answers} (gold {gold}) {titles[i][:70]}"
            )
    own = [i for i in labels if labels[i]["answers"]]
    found = sum(1 for i in own if predicted[i].answers == story_of[labels[i]["answers"]])
    for i in own:
        if predicted[i].answers != story_of[labels[i]["answers"]]:
            link_errors.append(f"  missed link {i} -> {labels[i]['answers']} {titles[i][:70]}")
    link_p = link_ok / (link_ok + link_bad) if link_ok + link_bad else 1.0
    link_r = found / len(own) if own else 1.0
    related = sum(1 for a in predicted.values() if a.also_related)

    print(f"{'metric':34} {'value':>8}   detail")
    print(f"{'pair precision':34} {pair_p:8.3f}   tp {tp} fp {fp}")
    print(f"{'pair recall':34} {pair_r:8.3f}   fn {fn}")
    print(f"{'pair F1':34} {_f1(pair_p, pair_r):8.3f}   target >= 0.90")
    print(f"{'event-type accuracy':34} {accuracy:8.3f}   {correct}/{len(labels)}, target >= 0.85")
    print(f"{'link precision':34} {link_p:8.3f}   {link_ok}/{link_ok + link_bad}, target >= 0.90")
    print(f"{'link recall':34} {link_r:8.3f}   {found}/{len(own)}")
    print(f"{'items reporting also_related':34} {related:8d}")
    print(f"{'stories':34} {len(set(story_of.values())):8d}   labelled stories 37")
    top = [(pair, n) for pair, n in confusion.most_common() if pair[0] != pair[1]][:6]
    print(
        "top type errors (gold -> predicted): " + ", ".join(f"{g}->{p} x{n}" for (g, p), n in top)
    )
    if show_errors:
        print("event-type errors:")
        for i, data in labels.items():
            if data["event_type"] != types[i]:
                print(f"  {i} {data['event_type']:14} -> {reasons[i]:48} {titles[i][:60]}")
        print("clustering errors:")
        print("\n".join(pair_errors) or "  none")
        print("link errors:")
        print("\n".join(link_errors) or "  none")
        print("also_related:")
        for i, placed in predicted.items():
            if placed.also_related:
                others = ", ".join(placed.also_related)
                print(f"  {i} in {placed.story_id} also {others} {titles[i][:60]}")
    return {
        "pair_precision": pair_p,
        "pair_recall": pair_r,
        "pair_f1": _f1(pair_p, pair_r),
        "event_accuracy": accuracy,
        "link_precision": link_p,
        "link_recall": link_r,
    }


# ---------------------------------------------------------------- speed

_COMPANIES = ["ford", "xiaomi", "byd", "catl", "tesla", "general-motors", "sk-on", "huawei"]
_NAMES = {
    "ford": "Ford",
    "xiaomi": "Xiaomi",
    "byd": "BYD",
    "catl": "CATL",
    "tesla": "Tesla",
    "general-motors": "GM",
    "sk-on": "SK On",
    "huawei": "Huawei",
}
_WATCHLISTS = ["chinese-ev-partnerships", "catl-licensing", "ev-tax-credits", "ev-tariffs"]
_CUES = [
    "in talks with",
    "says report is completely false",
    "confirms deal with",
    "writes to",
    "hearing on",
    "posts quarterly loss as",
    "raises tariffs on",
    "weighs",
    "and",
    "Treasury guidance on",
]


def make_stream(
    count: int, rng: random.Random, zipf: bool = True
) -> list[tuple[Item, list[str], list[str]]]:
    """A feed of events told 1-4 times each in varied wording, 2 minutes apart.

    Each event has a few topic words (names, places, figures: drawn from the
    rare end of the vocabulary) that its retellings reuse, amid filler words.
    With ``zipf`` the filler follows Zipf's law like real text (a few words are
    everywhere, most are rare); without it every word is equally common, the
    worst case for an inverted index (every posting list is mid-sized)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    size = 30000 if zipf else 8000
    vocab = sorted({"".join(rng.choices(letters, k=rng.randint(4, 9))) for _ in range(size)})
    rng.shuffle(vocab)
    weights = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(vocab))))

    def filler(k: int) -> list[str]:
        if zipf:
            return rng.choices(vocab, cum_weights=weights, k=k)
        return rng.sample(vocab, k)

    rare = vocab[len(vocab) // 3 :]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out: list[tuple[Item, list[str], list[str]]] = []
    pending: list[tuple[int, list[str], list[str], list[str], str]] = []
    number = 0
    while len(out) < count:
        if not pending or rng.random() < 0.45:
            topic = rng.sample(rare, 4) + filler(4)
            companies = rng.sample(_COMPANIES, rng.randint(0, 2))
            watchlists = rng.sample(_WATCHLISTS, rng.randint(0, 2))
            pending.append((rng.randint(1, 4), topic, companies, watchlists, rng.choice(_CUES)))
        slot = rng.randrange(len(pending))
        left, topic, companies, watchlists, cue = pending[slot]
        names = [_NAMES[c] for c in companies] or [rng.choice(vocab).capitalize()]
        words = rng.sample(topic, 4) + filler(3)
        title = f"{names[0]} {cue} {' '.join(words)}"
        summary = " ".join(rng.sample(topic, 3) + filler(12)) if number % 3 else ""
        published = start + timedelta(minutes=2 * number)
        out.append((Item(str(number), title, summary, published=published), companies, watchlists))
        number += 1
        if left <= 1:
            pending.pop(slot)
        else:
            pending[slot] = (left - 1, topic, companies, watchlists, cue)
    return out


def time_stream(count: int, zipf: bool = True) -> tuple[float, float]:
    """µs/item for story grouping, and for the shipped matcher (event typing
    included: it is part of the matcher's scan) on the same items. Best of 3."""
    stream = make_stream(count, random.Random(SEED), zipf)
    matcher = Matcher(load_catalog(shipped_watchlists_dir()), events=EVENT_RULES)
    events = [matcher.match(item).event for item, _, _ in stream]
    grouping = matching = float("inf")
    for _ in range(3):
        index = StoryIndex()
        began = time.perf_counter()
        for number, ((item, companies, watchlists), event) in enumerate(
            zip(stream, events, strict=True)
        ):
            index.assign(item, companies, watchlists, event)
            if number % 1000 == 999 and item.published is not None:
                index.forget_before(item.published - index.answer_window)
        grouping = min(grouping, time.perf_counter() - began)
        began = time.perf_counter()
        for item, _, _ in stream:
            matcher.match(item)
        matching = min(matching, time.perf_counter() - began)
    return grouping / count * 1e6, matching / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--errors", action="store_true", help="list every mistake")
    parser.add_argument("--items", type=int, default=20000, help="synthetic stream size")
    args = parser.parse_args()
    evaluate(args.errors)
    for zipf, label in ((True, "Zipf words"), (False, "uniform words, worst case")):
        ours, matcher = time_stream(args.items, zipf)
        print(f"{'story grouping (µs/item)':34} {ours:8.2f}   {args.items} items, {label}")
        print(f"{'matcher + typing (µs/item)':34} {matcher:8.2f}   same items, for scale")


if __name__ == "__main__":
    main()
