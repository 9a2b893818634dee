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

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.compiled import PURE_PYTHON_ENV, load
from bot.models import EventGuess
from bot.stories.events import EVENT_RULES, EVENT_TYPES, EventRules, classify_event
from bot.stories.tokens import topic_words
from bot.watchlists import Catalog

GROUPING: str
if TYPE_CHECKING:
    # Both follow grouping.pyi; tests/stories hold them to the same results.
    from bot.stories.grouping import Assignment, StoryIndex, StoryRef
else:
    _module, GROUPING = load("bot.stories.grouping", "bot.stories.pygrouping")
    Assignment, StoryIndex, StoryRef = _module.Assignment, _module.StoryIndex, _module.StoryRef


def index_for(catalog: Catalog, new_id: Callable[[], str] | None = None) -> StoryIndex:
    """An empty story index that knows the catalog's topic words and contrast
    families: the bot, ``policywatch match`` and the benchmarks all group with
    the same knowledge of the catalog."""
    return StoryIndex(new_id=new_id, topic_words=topic_words(catalog), contrasts=catalog.contrasts)


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
    "index_for",
]
