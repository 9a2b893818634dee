"""A password or token in a feed URL never reaches a message, a reply or a log line."""

from __future__ import annotations

import logging

import pytest
from pw_feedserver import FeedServer

from bot.core import describe_source
from bot.sources import (
    Ingestor,
    RefusedURL,
    SourceConfigError,
    fetch_url_source,
    mask_url,
    redact_text,
)
from bot.sources.config import parse_sources


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://user:hunter2@feeds.example/x", "https://***@feeds.example/x"),
        ("https://token123@feeds.example/x", "https://***@feeds.example/x"),
        (
            "https://a.example/f?api_key=S3&format=json",
            "https://a.example/f?api_key=***&format=json",
        ),
        ("https://a.example/f?X-Api-Key=S3", "https://a.example/f?X-Api-Key=***"),
        (
            "https://a.example/f?access_token=S3&page=2",
            "https://a.example/f?access_token=***&page=2",
        ),
        (
            "https://a.example/f?sig=S3&client_secret=S4",
            "https://a.example/f?sig=***&client_secret=***",
        ),
        ("https://a.example/f?password=S3", "https://a.example/f?password=***"),
        ("https://a.example/f?key=S3", "https://a.example/f?key=***"),
        (
            "https://a.example/f?monkey=fine&keyword=ev",
            "https://a.example/f?monkey=fine&keyword=ev",
        ),
        ("https://a.example/plain", "https://a.example/plain"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_redact_text_masks_every_url_in_a_message() -> None:
    text = "ConnectError for http://u:p4ss@h.example/a?token=t0k and https://ok.example/"
    assert redact_text(text) == (
        "ConnectError for http://***@h.example/a?token=*** and https://ok.example/"
    )


def test_refused_url_message_has_no_password() -> None:
    error = RefusedURL("http://user:hunter2@feeds.example/x", "credentials in URL are not allowed")
    assert "hunter2" not in str(error)
    assert str(error) == "refused http://***@feeds.example/x: credentials in URL are not allowed"


def test_bad_feed_url_message_has_no_password() -> None:
    with pytest.raises(SourceConfigError) as caught:
        fetch_url_source("ftp://user:hunter2@feeds.example/x")
    assert "hunter2" not in str(caught.value) and "***@feeds.example" in str(caught.value)


async def test_credentials_in_a_feed_url_stay_out_of_errors_logs_and_sources(
    feed_server: FeedServer, ingestor: Ingestor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://editor:hunter2@127.0.0.1:{feed_server.port}/rss.xml?token=t0k3n"
    source = fetch_url_source(url)
    report = await ingestor.fetch_one(source)
    assert report.status == "error"
    assert report.error == (
        f"refused http://***@127.0.0.1:{feed_server.port}/rss.xml?token=***: "
        "credentials in URL are not allowed"
    )
    state = await ingestor.state.get_state(source.id)
    line = describe_source(source, state, None)
    for shown in (report.error, caplog.text, line):
        assert "hunter2" not in shown and "t0k3n" not in shown
    assert feed_server.hits["/rss.xml"] == 0


def test_sources_file_error_has_no_password() -> None:
    with pytest.raises(SourceConfigError) as caught:
        parse_sources({"sources": [{"id": "x", "url": "gopher://user:hunter2@feeds.example/"}]})
    assert "hunter2" not in str(caught.value) and "***@feeds.example" in str(caught.value)


async def test_a_token_in_a_feed_url_stays_out_of_library_logs(
    feed_server: FeedServer, ingestor: Ingestor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    report = await ingestor.fetch_one(fetch_url_source(feed_server.url("/rss.xml?token=t0k3n")))
    assert report.status == "ok" and feed_server.queries["/rss.xml"] == "token=t0k3n"
    ours = "\n".join(  # the test server's own access log is not the bot's
        r.getMessage() for r in caplog.records if not r.name.startswith("aiohttp")
    )
    assert "HTTP Request: GET" in ours  # httpx did log the request …
    assert "t0k3n" not in ours and "token=***" in ours  # … masked
