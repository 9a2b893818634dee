"""The live set of watchlists and companies: shipped files plus admin edits,
with the matcher and the company-name index built from them.

Rebuilding is cheap (milliseconds), so every admin edit rebuilds the whole
registry instead of patching it: one mechanism, no partial states.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.matcher import Matcher
from bot.models import Item
from bot.stories import EVENT_RULES
from bot.text import fold_phrase
from bot.watchlists import (
    Catalog,
    CompanySpec,
    WatchlistEdit,
    WatchlistSpec,
    apply_edits,
    load_catalog,
)

FUZZY_CUTOFF = 70
AMBIGUITY_MARGIN = 6
_POSSESSIVES = ("'s", "s'")  # "ford's" names Ford, as the matcher reads "Ford's"


@dataclass(frozen=True)
class CompanyPick:
    """The company a name resolved to, and how sure we are."""

    company: CompanySpec
    matched_name: str
    exact: bool
    alternatives: tuple[CompanySpec, ...] = ()


class Registry:
    def __init__(self, base: Catalog, edits: list[WatchlistEdit] | None = None) -> None:
        self.base = base
        self.rebuild(edits or [])

    @classmethod
    def from_folder(cls, folder: Path) -> Registry:
        return cls(load_catalog(folder))

    def rebuild(self, edits: list[WatchlistEdit]) -> None:
        self.edit_count = len(edits)  # edits are only ever appended: this is a version
        self.catalog = apply_edits(self.base, edits)
        self.matcher = Matcher(self.catalog, events=EVENT_RULES)
        names: dict[str, str] = {}
        for company in self.catalog.companies.values():
            for name in [
                company.id,
                company.name,
                *company.aliases,
                *company.weak_aliases,
                *company.tickers,
            ]:
                names.setdefault(fold_phrase(name), company.id)
        self._names = names

    def resolve_company(self, name: str) -> CompanyPick | None:
        """Exact alias/ticker/id first, then typo-tolerant fuzzy matching."""
        key = fold_phrase(name)
        companies = self.catalog.companies
        stems = [key, *(key[: -len(end)] for end in _POSSESSIVES if key.endswith(end))]
        for stem in stems:
            if stem in self._names:
                return CompanyPick(companies[self._names[stem]], name, exact=True)
        candidates = process.extract(
            key, list(self._names), scorer=fuzz.WRatio, limit=8, score_cutoff=FUZZY_CUTOFF
        )
        if not candidates:
            return None
        best_name, best_score, _ = candidates[0]
        best = companies[self._names[best_name]]
        others: list[CompanySpec] = []
        for cand_name, score, _ in candidates[1:]:
            other = companies[self._names[cand_name]]
            if (
                other.id != best.id
                and best_score - score <= AMBIGUITY_MARGIN
                and other not in others
            ):
                others.append(other)
        return CompanyPick(best, best_name, exact=False, alternatives=tuple(others))

    def resolve_watchlist(self, name: str) -> tuple[str | None, str | None]:
        """(id, suggestion): the id when it exists, else the closest id to suggest."""
        key = name.lower()
        if key in self.catalog.watchlists:
            return key, None
        best = process.extractOne(key, list(self.catalog.watchlists), score_cutoff=60)
        return None, best[0] if best else None

    def completions(self, field: str, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        """Autocomplete choices (label, value) for a company name or watchlist id."""
        key = fold_phrase(prefix)
        out: list[tuple[str, str]] = []
        if field == "watchlist":
            for wl in sorted(self.catalog.watchlists.values(), key=lambda w: w.id):
                if not key or key in wl.id or key in fold_phrase(wl.name):
                    out.append((f"{wl.name} ({wl.id})", wl.id))
            return out[:limit]
        seen: set[tuple[str, str]] = set()
        for company in sorted(self.catalog.companies.values(), key=lambda c: c.id):
            for name in [company.name, *company.aliases, *company.tickers]:
                folded = fold_phrase(name)
                if (not key or folded.startswith(key) or key in folded) and (
                    company.id,
                    name,
                ) not in seen:
                    label = company.name if name == company.name else f"{name} → {company.name}"
                    out.append((label[:100], company.id))
                    seen.add((company.id, name))
                    break
        return out[:limit]


def reach(phrase: str, items: Iterable[Item]) -> int:
    """How many of ``items`` ``phrase`` would match on its own, read exactly
    as the matcher reads watchlist terms and aliases (whole words, folded,
    plural and possessive endings): how broad a proposed term is."""
    probe = WatchlistSpec.model_construct(
        id="probe",
        name="probe",
        description="",
        priority="normal",
        include=[phrase],
        require=[],
        exclude=[],
        companies=[],
    )
    matcher = Matcher(Catalog(watchlists={"probe": probe}))
    return sum(1 for item in items if matcher.match(item).watchlists)
