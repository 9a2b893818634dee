"""What the tests that start a real ``policywatch run`` process share: a free
local port and an environment that holds only what the test sets."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from tests.conftest import NO_SOURCES


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """This process's environment without any platform or policywatch setting
    of the developer's (no real tokens, no stray database), plus a private data
    dir, no sources to fetch, and ``settings``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "POLICYWATCH_"))
    }
    env.update(
        POLICYWATCH_DATA_DIR=str(data_dir),
        POLICYWATCH_SOURCES_FILE=str(NO_SOURCES),
        **settings,
    )
    return env
