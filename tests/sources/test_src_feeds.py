"""Both parser paths (expat fast path and feedparser fallback) agree on our fixtures."""

from __future__ import annotations

import pytest
from pw_feedserver import FIXTURES

from bot.sources.etfeed import parse_entries
from bot.sources.feeds import FeedError, check_xml_safe, parse_feed


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml", "duplicates.xml", "missing_dates.xml"])
def test_fast_path_matches_feedparser(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    assert parse_entries(data) is not None  # well-formed: the fast path takes it
    fast = parse_feed(data, source="s")
    slow = parse_feed(data, source="s", use_fast_path=False)
    assert fast.items == slow.items and fast.dropped == slow.dropped


def test_rss1_rdf_feed() -> None:
    data = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example/"><title>RDF</title></channel>
  <item rdf:about="https://rdf.example/1">
    <title>RDF item</title><link>https://rdf.example/1</link>
    <dc:date>2026-02-01T12:00:00Z</dc:date><description>Body</description>
  </item>
</rdf:RDF>"""
    (item,) = parse_feed(data, source="s").items
    assert item.title == "RDF item" and item.published is not None
    assert parse_feed(data, source="s", use_fast_path=False).items == [item]


def test_recoverable_broken_feed_falls_back_to_feedparser() -> None:
    # An undefined entity breaks expat; feedparser still recovers the item.
    data = (
        b'<rss version="2.0"><channel><title>t</title><item><title>Caf&eacute; story</title>'
        b"<link>https://broken.example/1</link></item></channel></rss>"
    )
    assert parse_entries(data) is None
    (item,) = parse_feed(data, source="s").items
    assert item.url == "https://broken.example/1"


@pytest.mark.parametrize(
    "doc",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><rss/>',
        '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE x [<!ENTITY a "b">]><rss/>'.encode(
            "utf-16"
        ),
        b"<rss><!ENTITY  x SYSTEM 'file:///etc/passwd'></rss>",
        b"<!DOCTYPE rss SYSTEM 'x.dtd'><rss><![CDATA[ text ]]><!ATTLIST rss a CDATA 'b'></rss>",
        b'<?xml version="1.0" encoding="utf-7"?><rss>+ADw-!ENTITY x "y"+AD4-</rss>',
    ],
)
def test_entity_declarations_refused_in_any_encoding(doc: bytes) -> None:
    with pytest.raises(FeedError, match="declarations are not allowed"):
        check_xml_safe(doc)


@pytest.mark.parametrize(
    "doc",
    [
        b"<!DOCTYPE rss [ ]><rss/>",
        b'<!DOCTYPE rss PUBLIC "-//x//EN" "x.dtd" [<!-- nothing -->]><rss/>',
        '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE x [ ]><rss/>'.encode("utf-16"),
    ],
)
def test_internal_subset_refused(doc: bytes) -> None:
    with pytest.raises(FeedError, match="DOCTYPE internal subsets are not allowed"):
        check_xml_safe(doc)


@pytest.mark.parametrize(
    "doc",
    [
        b"<!doctype rss><rss/>",
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss/>',
        b"<rss><item><description><![CDATA[<!DOCTYPE html [<x>]><html/>]]></description>"
        b"</item></rss>",
        b"<rss><!-- <!ENTITY a 'b'> --></rss>",
    ],
)
def test_harmless_doctypes_allowed(doc: bytes) -> None:
    check_xml_safe(doc)
