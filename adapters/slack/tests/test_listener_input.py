"""The HTTP listener faces the internet: whatever arrives, the answer is a
401 or a 400 and never a 500 or a logged traceback.

Requests go to the real SlackAdapter listener on 127.0.0.1.
"""

from __future__ import annotations

import logging

import pytest

from adapters.slack.tests.conftest import SECRET, Poster
from adapters.slack.tests.fake_slack import FakeSlack, sign

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@pytest.mark.parametrize(
    "timestamp", ["not-a-number", "", "12.5", "1e9", "١٢٣", "-5", " 1700000000"]
)
async def test_a_timestamp_that_is_no_number_is_refused_without_a_traceback(
    fake: FakeSlack, post: Poster, caplog: pytest.LogCaptureFixture, timestamp: str
) -> None:
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=00"}
    with caplog.at_level(logging.DEBUG):
        status, _ = await post(("command=%2Fpolicywatch&text=help", FORM), headers=headers)
    assert status == 401
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)
    assert fake.calls == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", JSON),
        ("{not json", FORM),  # bolt reads a body starting with { as JSON whatever the type
        ("payload=%7Bbad", FORM),
        ("payload=%5B1%2C2%5D", FORM),  # a JSON array inside the form
        ("[1, 2, 3]", JSON),
        ('"just a string"', JSON),
        ("null", JSON),
    ],
)
async def test_a_signed_body_that_does_not_parse_is_a_400(
    fake: FakeSlack, post: Poster, caplog: pytest.LogCaptureFixture, body: str, content_type: str
) -> None:
    with caplog.at_level(logging.DEBUG):
        status, text = await post((body, content_type))
    assert status == 400, text
    assert not any(r.exc_info for r in caplog.records)
    assert fake.calls == []


async def test_a_body_that_is_not_utf8_is_a_400(post: Poster) -> None:
    headers = sign(SECRET, "x")  # the signature cannot even be checked
    async with post.session.post(
        post.url, data=b"text=\xff\xfe", headers={**headers, "Content-Type": FORM}
    ) as response:
        assert response.status == 400


async def test_an_unsigned_malformed_body_is_refused_before_it_is_parsed(
    post: Poster, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        status, _ = await post(("{not json", JSON), secret="wrong-secret")
    assert status == 401
    assert "not a JSON object" not in caplog.text  # never got as far as parsing
