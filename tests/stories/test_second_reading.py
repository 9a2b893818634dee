"""A second writer's labels of eight tuning sets, and how they are scored.

The files are the yardstick the benchmark prints beside the rules' score, so
they must label every item once, with the guide's types and links that point
back in time; and the scoring must treat them exactly like a prediction.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.common import DATA
from benchmarks.stories import (
    SECOND_FILES,
    Row,
    load_rows,
    load_second_readings,
    score,
    second_reading,
)
from bot.stories import EVENT_TYPES


def _first_labels(rows: list[Row]) -> list[dict[str, Any]]:
    keys = ("id", "story", "event_type", "answers", "relation")
    return [{key: data[key] for key in keys} for _, data in rows]


def test_every_second_label_file_is_read() -> None:
    assert len(SECOND_FILES) == 8
    assert all(path.exists() for path in SECOND_FILES)
    assert len(load_second_readings()) == len(SECOND_FILES)


@pytest.mark.parametrize("path", SECOND_FILES, ids=lambda path: path.stem)
def test_second_labels_follow_the_guide(path: Path) -> None:
    second = dict(load_second_readings())[path.stem]
    published = {item.id: item.published for item, _ in second.rows}
    assert set(second.types.values()) <= set(EVENT_TYPES)
    lines = path.read_text(encoding="utf-8").splitlines()
    for data in map(json.loads, lines):
        assert (data["answers"] is None) == (data["relation"] is None), data["id"]
        assert data["relation"] in (None, "answer", "follow_up"), data["id"]
        if data["answers"] is not None:
            assert published[data["answers"]] <= published[data["id"]], data["id"]
            assert second.story_of[data["answers"]] != data["story"], data["id"]


def test_the_first_writers_own_labels_agree_fully() -> None:
    rows = load_rows(DATA / "stories_extra_q.jsonl")
    m, _ = score(second_reading(rows, _first_labels(rows)))
    assert m["story_f1"] == m["thread_f1"] == m["event_accuracy"] == 1.0
    assert m["answer_r"] == m["follow_up_r"] == 1.0


def test_a_reading_that_merges_two_events_loses_precision() -> None:
    rows = load_rows(DATA / "stories_extra_q.jsonl")
    labels = _first_labels(rows)
    first = labels[0]["story"]
    other = next(data["story"] for data in labels if data["story"] != first)
    for data in labels:
        if data["story"] == other:
            data["story"] = first
    m, _ = score(second_reading(rows, labels))
    assert m["story_p"] < 1.0
    assert m["story_r"] == 1.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda labels: labels.append(dict(labels[0])), "labelled twice"),
        (lambda labels: labels.pop(), "has no second label"),
        (lambda labels: labels.append({**labels[0], "id": "zz9"}), "not in the set"),
        (lambda labels: labels[0].update(answers=labels[5]["id"]), "not labelled before it"),
    ],
    ids=["twice", "missing", "stranger", "forward-link"],
)
def test_bad_second_labels_are_refused(change: Any, message: str) -> None:
    rows = load_rows(DATA / "stories_extra_q.jsonl")
    labels = _first_labels(rows)
    change(labels)
    with pytest.raises(ValueError, match=message):
        second_reading(rows, labels)
