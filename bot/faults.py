"""Crash points for the outbox's crash tests.

``POLICYWATCH_FAULT=<name>`` makes the process kill itself (SIGKILL, no
cleanup) when it reaches the named point. It is read once at import, is off
unless set, and exists so tests can prove that a crash at each step of
sending neither loses nor duplicates a message.
"""

from __future__ import annotations

import os
import signal

_ARMED = os.environ.get("POLICYWATCH_FAULT", "")


def checkpoint(name: str) -> None:
    if _ARMED and name == _ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
