"""Story intelligence: event typing, grouping of items into stories, and
claim/answer threads. Storage-free: the core persists what these return."""

from bot.stories.events import EVENT_TYPES, EventGuess, classify_event

__all__ = ["EVENT_TYPES", "EventGuess", "classify_event"]
