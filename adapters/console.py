"""The console adapter: a chat REPL on stdin/stdout.

It is an adapter like Slack or Discord (same contract, same core calls), so
what works here works there. The person at the terminal runs the process and
owns its database, so they are treated as a platform admin.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
import threading
from typing import TextIO

from adapters.base import Adapter
from bot.caller import Caller
from bot.delivery import Delivery

PROMPT = "policywatch> "


class ConsoleAdapter(Adapter):
    platform = "console"
    delivers_without_connection = True

    def __init__(
        self,
        *args: object,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self._stopped = asyncio.Event()
        self._prompting = False
        self.caller = Caller(
            platform="console",
            workspace="local",
            channel="console",
            user=_local_user(),
            platform_admin=True,
        )

    async def start(self) -> None:
        self._write("policywatch console — type `help`, or `quit` to leave.\n")
        quiet = _QuietSources()
        handlers = list(logging.getLogger().handlers)
        for handler in handlers:
            handler.addFilter(quiet)
        try:
            await self._serve(self._read_lines_in_background())
        finally:
            for handler in handlers:
                handler.removeFilter(quiet)
            self._stopped.set()

    async def _serve(self, lines: asyncio.Queue[str]) -> None:
        while not self._stopped.is_set():
            self._write(PROMPT)
            self._prompting = True
            line = await lines.get()
            self._prompting = False
            if not line:  # end of input
                self._write("\n")
                break
            text = line.strip()
            if text in ("quit", "exit"):
                break
            if not text:
                continue
            reply = await self.core.handle(self.caller, text)
            self._write(reply.to_text() + "\n")

    def notice(self, text: str) -> None:
        """Show it on a line of its own, then the prompt again if it was showing."""
        if self._stopped.is_set():
            return
        self._write(f"\n{text}\n{PROMPT}" if self._prompting else f"{text}\n")

    def _read_lines_in_background(self) -> asyncio.Queue[str]:
        """Read stdin on a daemon thread: a blocked ``readline`` must never keep
        the process alive after a signal has stopped the bot."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str] = asyncio.Queue()

        def pump() -> None:
            while True:
                line = self.stdin.readline()
                try:
                    loop.call_soon_threadsafe(queue.put_nowait, line)
                except RuntimeError:  # the loop has closed: the bot is gone
                    return
                if not line:
                    return

        threading.Thread(target=pump, name="console-stdin", daemon=True).start()
        return queue

    async def stop(self) -> None:
        self._stopped.set()

    async def deliver(self, delivery: Delivery) -> str:
        self._write(f"\n[digest for {delivery.channel}]\n{delivery.reply.to_text()}\n")
        return f"console-{delivery.outbox_id}"

    def _write(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()


class _QuietSources(logging.Filter):
    """While the console runs, a source's warnings would print through the
    prompt (with no network, one per source a minute). They are kept in
    ``sources``, and the running bot says once when failures change."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or not record.name.startswith("policywatch.sources")


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"
