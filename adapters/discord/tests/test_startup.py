"""What an operator reads when the Discord adapter starts: one line naming the
bot and counting its servers, and no warnings about voice libraries the bot
never uses."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import discord
import pytest

from adapters.discord.tests.fake_discord import GUILD_A, StubCore, running_bot


async def test_start_says_who_and_where_without_voice_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # discord.py warns once per process; re-arm it, so this test sees a first client.
    discord.VoiceClient.warn_nacl = True
    discord.VoiceClient.warn_dave = True
    err = ""
    with caplog.at_level(logging.INFO):
        async with running_bot(StubCore({}), tmp_path, guild_id=GUILD_A):
            for _ in range(100):  # on_ready runs just after the client reports ready
                err += capsys.readouterr().err
                if "Discord:" in err:
                    break
                await asyncio.sleep(0.02)
    started = [line for line in err.splitlines() if line.startswith("Discord:")]
    assert started == ["Discord: connected as policywatch, 2 guilds"]
    assert "voice will NOT be supported" not in caplog.text
