"""What one parsed body gave: the items, and why anything was dropped or guessed.

Feeds and API answers both report through this, so ``ingest`` and ``sources`` can say
"3 entries had no link" instead of a bare count that silently shrank.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.models import Item


@dataclass
class Parsed:
    """Items from one body; ``dropped`` counts entries left out by reason
    ("had no link"); ``notes`` are other things worth telling the operator."""

    items: list[Item]
    dropped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str | None:
        """One line for reports and the ``sources`` command, or None when all went well."""
        parts = [*self.notes]
        parts += [
            f"{count} {'entry' if count == 1 else 'entries'} {reason}"
            for reason, count in self.dropped.most_common()
        ]
        return "; ".join(parts) or None
