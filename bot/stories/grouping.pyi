"""Types of the compiled :mod:`bot.stories.grouping` (see grouping.pyx for the method)."""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from bot.models import EventGuess, Item

class StoryRef:
    """What the index remembers about one story (items keep joining it)."""

    @property
    def story_id(self) -> str: ...
    @property
    def headline(self) -> str: ...
    @property
    def first_seen(self) -> datetime: ...
    @property
    def last_seen(self) -> datetime: ...
    @property
    def answers(self) -> str | None:
        """The earlier story this one answers or follows up, if any."""
    @property
    def item_ids(self) -> list[str]: ...
    @property
    def sources(self) -> list[str]: ...
    @property
    def event_type(self) -> str: ...
    @property
    def companies(self) -> frozenset[str]: ...
    @property
    def watchlists(self) -> frozenset[str]: ...

class Assignment:
    """Where an item went and why."""

    @property
    def story_id(self) -> str: ...
    @property
    def is_new_story(self) -> bool: ...
    @property
    def answers(self) -> str | None: ...
    @property
    def also_related(self) -> tuple[str, ...]: ...
    @property
    def similarity(self) -> float: ...
    @property
    def reason(self) -> str: ...

class StoryIndex:
    """Recent stories in memory."""

    @property
    def window(self) -> timedelta: ...
    @property
    def answer_window(self) -> timedelta: ...
    def __init__(
        self,
        *,
        window: timedelta = ...,
        new_id: Callable[[], str] | None = None,
        answer_window: timedelta = ...,
        topic_words: Iterable[str] = ...,
        contrasts: Iterable[Iterable[str]] = (),
    ) -> None: ...
    def __len__(self) -> int: ...
    def get(self, story_id: str) -> StoryRef | None: ...
    def stories(self) -> list[StoryRef]: ...
    def stems(self, text: str) -> list[str]: ...
    def assign(
        self,
        item: Item,
        companies: Sequence[str],
        watchlists: Sequence[str],
        event: EventGuess,
        *,
        seen_at: datetime | None = None,
        concepts: Iterable[str] = (),
    ) -> Assignment: ...
    def add_existing(
        self,
        story_id: str,
        item: Item,
        companies: Sequence[str],
        watchlists: Sequence[str],
        event_type: str,
        seen_at: datetime | None = None,
        *,
        answers: str | None = None,
        concepts: Iterable[str] = (),
    ) -> None: ...
    def forget_before(self, moment: datetime) -> int: ...
