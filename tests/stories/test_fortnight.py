"""The fortnight stress line of ``benchmarks.stories``: of the item pairs a
run merges against the labels, which join news of unrelated threads (a story
swallowing something else) rather than an event and its own follow-up, and
which events a reader loses under another thread's headline."""

from __future__ import annotations

from typing import Any

from benchmarks.common import DATA
from benchmarks.stories import (
    false_merges,
    hidden_events,
    load_rows,
    second_reading,
    unrelated_merges,
)


def _labels(path_stem: str) -> tuple[list[Any], list[dict[str, Any]]]:
    rows = load_rows(DATA / f"{path_stem}.jsonl")
    keys = ("id", "story", "event_type", "answers", "relation")
    return rows, [{key: data[key] for key in keys} for _, data in rows]


def _merge(labels: list[dict[str, Any]], into: str, other: str) -> None:
    for data in labels:
        if data["story"] == other:
            data["story"] = into


def test_merging_a_follow_up_into_its_event_is_not_unrelated() -> None:
    rows, labels = _labels("stories_extra_q")
    story_of = {data["id"]: data["story"] for data in labels}
    linked = next(data for data in labels if data["relation"] == "follow_up")
    _merge(labels, story_of[linked["answers"]], linked["story"])
    result = second_reading(rows, labels)
    assert false_merges(result)
    assert unrelated_merges(result) == 0
    assert hidden_events(result) == 0


def test_merging_two_unrelated_stories_counts_every_pair() -> None:
    rows, labels = _labels("stories_extra_q")
    story_of = {data["id"]: data["story"] for data in labels}
    # Stories that neither link to another nor are linked to: threads of one.
    threaded = {data["story"] for data in labels if data["answers"]}
    threaded |= {story_of[data["answers"]] for data in labels if data["answers"]}
    alone = sorted(set(story_of.values()) - threaded)
    _merge(labels, alone[0], alone[1])
    result = second_reading(rows, labels)
    assert unrelated_merges(result) == len(false_merges(result)) > 0
    # One headline for both: the later event is the one a reader loses.
    assert hidden_events(result) == 1
