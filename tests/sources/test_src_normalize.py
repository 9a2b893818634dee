"""Normalisation: canonical URLs, markup stripping, UTC dates and stable ids."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.sources.normalize import canonical_url, item_id, strip_html, to_utc


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (
            "HTTPS://WWW.Example.COM:443/a/b?utm_source=x&id=7&fbclid=1#frag",
            "https://www.example.com/a/b?id=7",
        ),
        ("http://example.com", "http://example.com/"),
        ("http://example.com:8080/x?gclid=1&UTM_MEDIUM=y", "http://example.com:8080/x"),
        ("https://example.com/p?q=a+b&mc_cid=9&page=2", "https://example.com/p?q=a+b&page=2"),
        ("https://[2606:4700::1111]/x", "https://[2606:4700::1111]/x"),
        ("javascript:alert(1)", None),
        ("/relative/path", None),
        ("", None),
        (None, None),
    ],
)
def test_canonical_url(raw: str | None, canonical: str | None) -> None:
    assert canonical_url(raw) == canonical


def test_strip_html_uses_a_parser() -> None:
    html = "<p>Ford &amp; CATL</p><script>var x = '<b>';</script><style>p{}</style>\n<div>LFP</div>"
    assert strip_html(html) == "Ford & CATL LFP"
    assert strip_html("a < b and c > d") == "a < b and c > d"
    assert strip_html("  plain\n\ttext\xa0here ") == "plain text here"
    assert strip_html("<p>unclosed <b>tags") == "unclosed tags"
    assert strip_html(None) == ""


def test_dates_to_utc() -> None:
    assert to_utc("2026-02-03T10:00:00-05:00") == datetime(2026, 2, 3, 15, tzinfo=UTC)
    assert to_utc("2026-02-03T10:00:00Z") == datetime(2026, 2, 3, 10, tzinfo=UTC)
    assert to_utc("2026-02-03") == datetime(2026, 2, 3, tzinfo=UTC)
    assert to_utc("Tue, 03 Feb 2026 14:30:00 -0500") == datetime(2026, 2, 3, 19, 30, tzinfo=UTC)
    assert to_utc(date(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)
    aware = datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=9)))
    assert to_utc(aware) == datetime(2026, 1, 1, 0, tzinfo=UTC)
    assert to_utc("sometime last week") is None
    assert to_utc("") is None and to_utc(None) is None


def test_item_id_is_stable_and_short() -> None:
    first = item_id("https://example.com/a")
    assert first == item_id("https://example.com/a") and len(first) == 20
    assert first != item_id("https://example.com/b")
