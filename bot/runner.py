"""``policywatch run``: start every adapter whose credentials are set (the
console when none are) and the background jobs, and stop them together."""

from __future__ import annotations

import asyncio
import logging

from adapters.base import Adapter
from bot.core import PolicyWatch

log = logging.getLogger("policywatch.run")


def enabled_adapters(core: PolicyWatch) -> list[Adapter]:
    settings = core.settings
    adapters: list[Adapter] = []
    if settings.slack_enabled:
        from adapters.slack import SlackAdapter

        adapters.append(SlackAdapter(core, settings))
    if settings.discord_enabled:
        from adapters.discord import DiscordAdapter

        adapters.append(DiscordAdapter(core, settings))
    if not adapters:
        from adapters.console import ConsoleAdapter

        adapters.append(ConsoleAdapter(core, settings))
    return adapters


async def run_bot(core: PolicyWatch) -> None:
    adapters = enabled_adapters(core)
    log.info("starting adapters: %s", ", ".join(a.platform for a in adapters))
    tasks = [asyncio.create_task(a.start(), name=f"adapter-{a.platform}") for a in adapters]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.exception():
                raise task.exception()  # type: ignore[misc]
    finally:
        for adapter in adapters:
            await adapter.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
