"""Conformance set: small feeds (``conformance/*.xml``) with the entries a reader expects.

Each feed's expected title, URL, date and summary per entry, what it dropped and why,
and its notes or refusal are in ``conformance/expected.yaml``. Both parser paths must
give them (the expat fast path, and feedparser where the fast path is bypassed), and
no input in this folder or in ``fixtures/``, whole or cut short, may raise anything
but the one-line FeedError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pw_feedserver import FIXTURES

from bot.sources import parse_file
from bot.sources.encoding import to_utf8
from bot.sources.etfeed import parse_entries
from bot.sources.feeds import FeedError, parse_feed

CONFORMANCE = Path(__file__).parent / "conformance"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load(
    (CONFORMANCE / "expected.yaml").read_text(encoding="utf-8")
)
PATHS = ("fast", "feedparser")


def _cases() -> list[Any]:
    cases = []
    for name, spec in sorted(EXPECTED.items()):
        for path in spec.get("paths", PATHS):
            cases.append(pytest.param(name, path, id=f"{name}-{path}"))
    return cases


def test_every_feed_has_expectations() -> None:
    on_disk = {p.name for p in CONFORMANCE.glob("*.xml")}
    assert on_disk == set(EXPECTED)


def _entry(item: Any) -> dict[str, Any]:
    date = item.published.strftime("%Y-%m-%dT%H:%M:%SZ") if item.published else None
    return {"title": item.title, "url": item.url, "date": date, "summary": item.summary}


@pytest.mark.parametrize(("name", "path"), _cases())
def test_conformance(name: str, path: str) -> None:
    spec = EXPECTED[name]
    data = (CONFORMANCE / name).read_bytes()

    def parse() -> Any:
        return parse_feed(
            data,
            source="conformance",
            content_type=spec.get("content_type", ""),
            base_url=spec.get("base_url", ""),
            use_fast_path=path == "fast",
        )

    if "error" in spec:
        with pytest.raises(FeedError) as refused:
            parse()
        assert str(refused.value) == spec["error"]
        return
    parsed = parse()
    if path == "fast":  # the fast path reads it, or (only where expected) hands it on
        utf8 = to_utf8(data, spec.get("content_type", ""))[0]
        assert (parse_entries(utf8) is None) == spec.get("falls_back", False)
    assert [_entry(item) for item in parsed.items] == spec["entries"]
    assert dict(parsed.dropped) == spec.get("dropped", {})
    assert parsed.notes == spec.get("notes", [])


def _all_inputs() -> list[Path]:
    return sorted([*CONFORMANCE.glob("*.xml"), *FIXTURES.iterdir()])


@pytest.mark.parametrize("source", _all_inputs(), ids=lambda p: p.name)
def test_no_input_raises_anything_but_a_one_line_error(source: Path) -> None:
    data = source.read_bytes()
    # The whole body, then cut short at several points (a dropped connection).
    for cut in (len(data), *range(7, len(data), max(len(data) // 23, 1))):
        for fast in (True, False):
            try:
                parse_feed(data[:cut], source="x", use_fast_path=fast)
            except FeedError as exc:
                assert "\n" not in str(exc) and str(exc)
    try:
        parse_file(source)
    except ValueError as exc:
        assert "\n" not in str(exc) and str(exc)
