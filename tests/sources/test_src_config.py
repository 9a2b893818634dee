"""Sources file loading: the shipped defaults and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sources import SourceConfigError, fetch_url_source, load_sources


def test_default_sources_load() -> None:
    sources = load_sources()
    by_id = {s.id: s for s in sources}
    assert {"rss", "federal_register", "congress", "edgar"} <= {s.kind for s in sources}
    assert by_id["edgar-ford"].params["cik"] == 37996
    assert by_id["edgar-gm"].params["cik"] == 1467858
    assert by_id["edgar-tesla"].params["cik"] == 1318605
    assert by_id["edgar-ford"].source_kind == "sec"
    assert by_id["congress-bills"].source_kind == "congress"
    assert by_id["house-select-committee-ccp"].source_kind == "committee"
    assert any("news.google.com/rss/search" in (s.url or "") for s in sources)
    assert all(s.interval_minutes >= 1 and s.name for s in sources)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_block_applies(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "defaults: {interval_minutes: 5}\n"
        "sources:\n  - {id: a, url: 'https://example.com/rss'}\n"
        "  - {id: b, url: 'https://example.com/b', interval_minutes: 9, enabled: false}\n",
    )
    a, b = load_sources(path)
    assert (a.interval_minutes, a.kind, a.source_kind, a.name) == (5, "rss", "news", "a")
    assert (b.interval_minutes, b.enabled) == (9, False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: [{id: a}]", "sources[0] (id=a): rss sources need a url"),
        ("sources: [{id: a, url: 'ftp://x/y'}]", "url must be an absolute http(s) URL"),
        ("sources: [{id: a, kind: smtp, url: 'https://x/'}]", "sources[0] (id=a): kind:"),
        ("sources: [{id: a, kind: edgar}]", "edgar sources need params.cik"),
        ("sources: [{id: a, url: 'https://x/', colour: red}]", "colour: Extra inputs"),
        ("sources: [{id: a, url: 'https://x/', interval_minutes: 0}]", "interval_minutes:"),
        (
            "sources: [{id: a, url: 'https://x/'}, {id: a, url: 'https://y/'}]",
            "sources[1] (id=a): duplicate id 'a'",
        ),
        ("sources: [{id: 'bad id!', url: 'https://x/'}]", "id: String should match"),
        ("just a string", "expected a mapping with a 'sources' list"),
        ("sources: [a, {b: ]", ":1: invalid YAML"),
    ],
)
def test_bad_sources_files(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SourceConfigError) as info:
        load_sources(path)
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceConfigError, match="cannot read sources file"):
        load_sources(tmp_path / "nope.yaml")


def test_fetch_url_source_rejects_non_http() -> None:
    with pytest.raises(SourceConfigError, match="absolute http"):
        fetch_url_source("file:///etc/passwd")
