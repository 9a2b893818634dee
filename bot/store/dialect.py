"""What differs between the SQL backends in the values and lists they bind.

Code shared by the backends (:mod:`bot.store.rows`, :mod:`bot.store.sql_store`)
is written once against this interface; each backend supplies its own
instance. Query text itself is written with ``?`` placeholders and the
backend's driver call translates them (see :func:`bot.store.postgres.numbered`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any


class Dialect(ABC):
    #: The audit log's user column (``user`` is a reserved word in PostgreSQL).
    user_column = "user"

    @abstractmethod
    def time(self, moment: datetime | None) -> Any:
        """A moment as a query parameter (whole seconds in UTC)."""

    def text(self, value: str | None) -> str | None:
        """Free text as a query parameter; a backend may drop what it cannot store."""
        return value

    @abstractmethod
    def read_time(self, value: Any) -> datetime | None:
        """A timestamp column's value as the driver returns it."""

    @abstractmethod
    def read_strings(self, value: Any) -> tuple[str, ...]:
        """A list-of-strings column (``stories.related``), empty entries dropped."""

    @abstractmethod
    def in_list(self, column: str, values: Sequence[Any], sql_type: str) -> tuple[str, list[Any]]:
        """A ``column`` is-one-of-``values`` condition and its parameters.

        ``values`` must not be empty; ``sql_type`` (``text``, ``bigint``) is the
        element type for backends that bind the list as one array.
        """

    def required_time(self, value: Any) -> datetime:
        """:meth:`read_time` of a ``NOT NULL`` column."""
        moment = self.read_time(value)
        assert moment is not None
        return moment
