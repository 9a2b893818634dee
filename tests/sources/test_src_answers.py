"""Saved API answers read by ``ingest --file``, EDGAR amendments, Congress.gov titles,
and the reasons a parse gives for what it dropped (kept per source for ``sources``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pw_feedserver import FIXTURES, FeedServer, fast_limits

from bot.config import Settings
from bot.core import describe_source
from bot.sources import Ingestor, MemorySourceStateStore, SourceConfig, parse_file
from bot.sources.apis import parse_congress, parse_edgar, parse_federal_register


def _saved(tmp_path: Path, fixture: str, name: str) -> Path:
    target = tmp_path / name
    shutil.copy(FIXTURES / fixture, target)
    return target


def _same_items(a: list, b: list) -> None:  # type: ignore[type-arg]
    """Equal but for the source name (a file is named after itself)."""
    assert [(i.id, i.title, i.url, i.summary, i.published, i.source_kind) for i in a] == [
        (i.id, i.title, i.url, i.summary, i.published, i.source_kind) for i in b
    ]


def test_federal_register_documents_json_like_the_live_source(tmp_path: Path) -> None:
    parsed = parse_file(_saved(tmp_path, "federal_register.json", "documents.json"))
    live = parse_federal_register(
        (FIXTURES / "federal_register.json").read_bytes(),
        SourceConfig(id="fr", kind="federal_register", params={"term": "x"}),
    )
    assert parsed.items and parsed.items[0].source == "Federal Register (documents.json)"
    _same_items(parsed.items, live.items)


def test_congress_bills_json_like_the_live_source(tmp_path: Path) -> None:
    parsed = parse_file(_saved(tmp_path, "congress_bills.json", "bills.json"))
    live = parse_congress(
        (FIXTURES / "congress_bills.json").read_bytes(), SourceConfig(id="c", kind="congress")
    )
    assert parsed.items[0].title == ("H.R. 7001: Example Battery Supply Chain Security Act")
    _same_items(parsed.items, live.items)
    assert parsed.dropped == {"had no congress, type or number": 1}


def test_edgar_submissions_json_like_the_live_source(tmp_path: Path) -> None:
    parsed = parse_file(_saved(tmp_path, "edgar_submissions.json", "CIK0000037996.json"))
    live = parse_edgar(
        (FIXTURES / "edgar_submissions.json").read_bytes(),
        SourceConfig(id="e", kind="edgar", params={"cik": 37996}),
    )
    assert len(parsed.items) == 2 and parsed.items[0].source == "SEC EDGAR — FORD MOTOR CO"
    _same_items(parsed.items, live.items)


def test_edgar_amendments_are_reported(tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "edgar_submissions.json").read_text())
    recent = doc["filings"]["recent"]
    recent["form"] = ["8-K/A", "4", "10-K/A", "8-K"]
    path = tmp_path / "submissions.json"
    path.write_text(json.dumps(doc))
    parsed = parse_file(path)
    titles = [i.title for i in parsed.items]
    assert titles[0].startswith("FORD MOTOR CO 8-K/A (amendment): Results of Operations")
    assert titles[1] == "FORD MOTOR CO 10-K/A (amendment)"
    assert titles[2].startswith("FORD MOTOR CO 8-K: ")
    assert parsed.notes == ["2 amendments (10-K/A, 8-K/A)"]


def test_congress_file_without_titles_uses_the_best_title_text(tmp_path: Path) -> None:
    parsed = parse_file(_saved(tmp_path, "congress_untitled.json", "bills.json"))
    assert [i.title for i in parsed.items] == [
        "H.R. 7343: (untitled) Referred to the House Committee on Ways and Means.",
        "S. 1215: Example Charging Network Buy American Act",
        "H.Res. 88",  # no title text anywhere in the answer
    ]
    assert parsed.notes == ["1 bill without a title, titled by latest action"]


def test_unrecognised_json_document_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"data": [1, 2]}, indent=2))
    with pytest.raises(ValueError, match="neither JSONL items nor a saved Federal Register"):
        parse_file(path)


async def test_live_congress_fetches_missing_titles_once(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYWATCH_CONGRESS_API_KEY", "key-for-tests")
    source = SourceConfig(
        id="congress", kind="congress", url=feed_server.url("/congress-untitled.json")
    )
    engine = Ingestor(
        Settings(allow_private_urls=True), MemorySourceStateStore(), limits=fast_limits()
    )
    try:
        first = await engine.fetch_one(source)
        second = await engine.fetch_one(source)
    finally:
        await engine.aclose()
    assert first.status == "ok", first.error
    assert first.items[0].title == "H.R. 7343: Example Battery Materials Sourcing Act"
    assert second.items[0].title == first.items[0].title
    assert feed_server.hits["/v3/bill/119/hr/7343"] == 1  # cached for the second fetch
    assert feed_server.headers["/v3/bill/119/hr/7343"]["X-Api-Key"] == "key-for-tests"
    assert first.notes == "1 bill titled from the bill endpoint"
    # hres/88 has no endpoint here (404): it keeps its label, and the fetch still succeeds.
    assert first.items[2].title == "H.Res. 88"


async def test_dropped_entries_are_counted_per_source(
    feed_server: FeedServer, ingestor: Ingestor
) -> None:
    source = SourceConfig(id="mixed", kind="rss", url=feed_server.url("/with-dropped.xml"))
    report = await ingestor.fetch_one(source)
    assert report.status == "ok" and len(report.items) == 2
    expected = (
        "1 entry had no link; 1 entry had no title or text; 1 entry repeated an earlier entry"
    )
    assert report.notes == expected
    state = await ingestor.state.get_state("mixed")
    assert state is not None and state.notes == expected
    line = describe_source(source, state, None)
    assert line.endswith(f"2 items ({expected})")
