"""Who holds an outbox lease, and whether that holder is provably gone.

A claimed outbox row records its owner. A row whose owner has died (SIGKILL,
OOM, a pulled plug) would otherwise stay held until its lease runs out
(``POLICYWATCH_OUTBOX_LEASE_SECONDS``); when the death can be *proved*, the
next sender takes the row over at once. Proof means:

* on one host (SQLite, or any backend): the owner's host is this host and its
  process id no longer exists, or now belongs to a process that started at a
  different moment (the id was reused);
* on PostgreSQL: the owner's backend session (pid and start time, as
  ``pg_stat_activity`` shows them) has ended, whichever host it ran on.

When neither can be proved (another host, no ``/proc``) the lease is waited
out as before. Taking over a row that was mid-send is safe: the sender looks
the message up on the platform before sending it again.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime
from functools import cache


@dataclass(frozen=True, slots=True)
class ProcessId:
    """One process, told apart from a later process given the same pid."""

    host: str
    pid: int
    started: str  # clock ticks since boot from /proc/PID/stat, "" where unknown

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.started}"

    @classmethod
    def parse(cls, text: str) -> ProcessId | None:
        host, sep, rest = text.rpartition(":")  # the host name may not hold ':', but be lenient
        host, sep2, pid = host.rpartition(":")
        if not (sep and sep2 and pid.isdigit()):
            return None
        return cls(host, int(pid), rest)

    def label(self) -> str:
        """How an operator recognises the holder: ``pid 4121 on web-1``."""
        return f"pid {self.pid} on {self.host}"


def _start_ticks(pid: int) -> str:
    """When ``pid`` started (field 22 of /proc/PID/stat), or "" where unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            text = stat.read()
    except OSError:
        return ""
    # The command name (field 2) is in parentheses and may hold spaces.
    fields = text.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


@cache
def this_process() -> ProcessId:
    """This process's identity (cached: a process does not change host or pid,
    except across fork, which the bot never does after opening a store)."""
    pid = os.getpid()
    return ProcessId(socket.gethostname(), pid, _start_ticks(pid))


def process_gone(owner: ProcessId) -> bool:
    """True only when ``owner`` provably no longer runs; False when it runs or
    when this host cannot tell (another host's process)."""
    if owner.host != this_process().host:
        return False
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # a process of another user has that pid: fall through to the start time
    if not owner.started:
        return False
    started = _start_ticks(owner.pid)
    return bool(started) and started != owner.started


@dataclass(frozen=True, slots=True)
class OutboxWait:
    """Outbox rows a sender left alone, and why.

    ``reason`` is ``"stopped"`` (held by a sender that provably died: taken
    over now), ``"held"`` (another live sender's lease, until ``until``) or
    ``"retry"`` (waiting out a retry back-off until ``until``)."""

    reason: str
    count: int
    until: datetime | None
    holder: str = ""

    def describe(self) -> str:
        when = f"{self.until:%H:%M} UTC" if self.until else "later"
        if self.reason == "stopped":
            return f"{self.count} held by a sender that stopped ({self.holder}); sending now"
        if self.reason == "held":
            return f"{self.count} held by {self.holder or 'another sender'} until {when}"
        return f"{self.count} waiting to retry until {when}"
