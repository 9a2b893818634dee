"""Types of the compiled :mod:`bot.scan` (see scan.pyx for why it is compiled;
bot/pyscan.py documents each definition)."""

from typing import Any

from bot.pyscan import Driver, Evidence, Found, RawHit

def suffix_end(folded: str, end: int) -> int: ...
def scan(automaton: Any, folded: str) -> dict[int, list[tuple[int, int]]]: ...

class Company:
    id: str
    alias: int
    weak: int
    context: int | None
    exclude: int
    def __init__(
        self, id: str, alias: int, weak: int, context: int | None, exclude: int
    ) -> None: ...

class Rule:
    watchlist: str
    exclude: int
    groups: tuple[tuple[int, tuple[tuple[str, str], ...]], ...]
    near: int | None
    title: bool
    def __init__(
        self,
        watchlist: str,
        exclude: int,
        groups: tuple[tuple[int, tuple[tuple[str, str], ...]], ...],
        near: int | None,
        title: bool,
    ) -> None: ...
    def prove(
        self, anchors: list[RawHit], groups: list[list[RawHit]], folded: str, title_end: int
    ) -> list[RawHit]: ...

def evaluate(
    found: Found, drivers: dict[int, Driver], folded: str, title_end: int
) -> tuple[list[str], list[str], list[str], Evidence, Found, Found]: ...
def words_apart(folded: str, one: RawHit, other: RawHit, title_end: int) -> int: ...
def explain(
    watchlists: list[str],
    companies: list[str],
    evidence: Evidence,
    title: str,
    joined: str,
    positions: list[int] | None,
) -> dict[str, Any]: ...
def outermost(raw: list[RawHit]) -> list[RawHit]: ...
