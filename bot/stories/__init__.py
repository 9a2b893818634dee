"""Story intelligence: event typing, grouping of items into stories, and
claim/answer threads. Storage-free: the core persists what these return and
rebuilds the in-memory :class:`StoryIndex` from its database at startup.

Grouping has two implementations of one algorithm: the compiled extension
``bot.stories.grouping`` (built by ``pip install`` when a C++ compiler is
there) and :mod:`bot.stories.pygrouping` (pure Python, the same results item
for item, several times slower). The compiled one is used when it was built;
``POLICYWATCH_PURE_PYTHON=1`` forces the pure one (tests and CI run both).
:data:`GROUPING` says which is in use (``policywatch --version`` prints it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.compiled import PURE_PYTHON_ENV, load
from bot.models import EventGuess
from bot.stories.events import EVENT_RULES, EVENT_TYPES, EventRules, classify_event

GROUPING: str
if TYPE_CHECKING:
    # Both follow grouping.pyi; tests/stories hold them to the same results.
    from bot.stories.grouping import Assignment, StoryIndex, StoryRef
else:
    _module, GROUPING = load("bot.stories.grouping", "bot.stories.pygrouping")
    Assignment, StoryIndex, StoryRef = _module.Assignment, _module.StoryIndex, _module.StoryRef

__all__ = [
    "EVENT_RULES",
    "EVENT_TYPES",
    "GROUPING",
    "PURE_PYTHON_ENV",
    "Assignment",
    "EventGuess",
    "EventRules",
    "StoryIndex",
    "StoryRef",
    "classify_event",
]
