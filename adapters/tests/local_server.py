"""Starting a fake platform server: one way for the fake Slack, the fake Discord and the benchmarks."""

from __future__ import annotations

from aiohttp import web


async def serve_locally(app: web.Application) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on 127.0.0.1 at a port the OS picks; return the runner and the port.

    Loopback only, because the fakes answer anyone; port 0, so that tests and
    benchmarks running side by side never fight over a port. The caller keeps the
    runner to ``cleanup()`` it when done.
    """
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, int(runner.addresses[0][1])
