"""The line the Slack adapter says when it starts: where it listens over HTTP,
or that it uses Socket Mode."""

from __future__ import annotations

import dataclasses

import pytest

from adapters.slack import SlackAdapter
from adapters.slack.tests.fake_slack import FakeSlack
from bot.config import Settings
from bot.core import PolicyWatch


async def test_http_says_host_port_and_path(
    core: PolicyWatch, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    slack = SlackAdapter(core, settings, host="127.0.0.1", port=0)
    await slack.open()
    try:
        assert capsys.readouterr().err == f"Slack: HTTP on 127.0.0.1:{slack.port} /slack/events\n"
    finally:
        await slack.stop()


async def test_socket_mode_says_so(
    fake: FakeSlack, core: PolicyWatch, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    socket = dataclasses.replace(settings, slack_app_token="xapp-test", slack_signing_secret=None)
    slack = SlackAdapter(core, socket, host="127.0.0.1", port=0)
    await slack.open()
    try:
        assert capsys.readouterr().err == "Slack: Socket Mode\n"
    finally:
        await slack.stop()
