"""Crash points for the outbox's crash tests.

``POLICYWATCH_FAULT=<name>`` makes the process kill itself (SIGKILL, no
cleanup) when it reaches the named point; ``<name>#N`` waits for the Nth
time it is reached (say, after the second part of a digest was posted). It is read once at import, is off
unless set, and exists so tests can prove that a crash at each step of
sending neither loses nor duplicates a message.
"""

from __future__ import annotations

import os
import signal

_ARMED, _, _NTH = os.environ.get("POLICYWATCH_FAULT", "").partition("#")
_reached = 0


def checkpoint(name: str) -> None:
    global _reached
    if _ARMED and name == _ARMED:
        _reached += 1
        if _reached >= int(_NTH or 1):
            os.kill(os.getpid(), signal.SIGKILL)
