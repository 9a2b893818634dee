"""Story intelligence: event typing, grouping of items into stories, and
claim/answer threads. Storage-free: the core persists what these return and
rebuilds the in-memory :class:`StoryIndex` from its database at startup."""

from bot.models import EventGuess
from bot.stories.events import EVENT_RULES, EVENT_TYPES, EventRules, classify_event
from bot.stories.grouping import Assignment, StoryIndex, StoryRef

__all__ = [
    "EVENT_RULES",
    "EVENT_TYPES",
    "Assignment",
    "EventGuess",
    "EventRules",
    "StoryIndex",
    "StoryRef",
    "classify_event",
]
