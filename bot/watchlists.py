"""Watchlists and the company directory: schema, loading with line numbers, and
the registry that layers admin edits (from the database) over the shipped files.

File layout: every ``*.yaml`` in the folder holds one watchlist, except
``companies.yaml``, which holds the company directory. The schema is documented
in ``watchlists/README.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from bot.terms import term_problem
from bot.text import fold_phrase

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,48}$")
# Limits, so that a mistaken or hostile file is refused in a moment instead of
# taking minutes and gigabytes (a 50 MB file once took 120 s and 2.8 GB to
# validate). The shipped files are a few KB and a few hundred phrases; the
# length of one phrase is bot.terms' to judge.
MAX_FILE_BYTES = 2 * 1024 * 1024  # per file
MAX_TERMS = 10_000  # phrases per file (a watchlist, or the whole company directory)
PRIORITIES = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
COMPANIES_FILE = "companies.yaml"
LEXICON_FILE = "lexicon.yaml"
# Files of a watchlists folder that are not watchlists.
_NOT_WATCHLISTS = frozenset({COMPANIES_FILE, LEXICON_FILE})


class WatchlistFileError(Exception):
    """A bad watchlist file, with the place and the reason."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


def _check_id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError("id must be 2-49 characters of a-z, 0-9 and '-'")
    return value


Identifier = Annotated[str, AfterValidator(_check_id)]


def _phrases(value: list[str]) -> list[str]:
    """Stripped phrases, each passing the same check as a term added in chat."""
    cleaned = [v.strip() for v in value]
    for phrase in cleaned:
        if not phrase:
            raise ValueError("empty phrase")
        if not phrase.startswith("@") and (problem := term_problem(phrase)):
            raise ValueError(problem)
    return cleaned


def _count_terms(value: Any, budget: int) -> int:
    """Strings in ``value``'s lists, counting no further than ``budget``: YAML
    aliases can make a small file's lists astronomically long."""
    count = 0
    stack = [value]
    while stack and count < budget:
        current = stack.pop()
        children = current.values() if isinstance(current, dict) else current
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append(child)
            elif isinstance(current, list) and isinstance(child, str):
                count += 1
                if count >= budget:
                    break
    return count


MAX_NEAR = 50  # words; a larger window is as good as none and hides a typo


class RuleSpec(BaseModel):
    """One way for an item to match: a hit on any ``include`` phrase and on at
    least one phrase of every ``require`` group (``@company-id`` means "that
    company was matched").

    ``near: N`` asks that one include hit have a hit of every require group
    within N words of it, for scopes that hinge on two things being said
    together ("BYD" near "plant"), not anywhere in the item. ``title: true``
    asks that the include hit be in the title, so a subject named only in
    passing in the summary does not count.
    """

    model_config = ConfigDict(extra="forbid")

    include: list[str] = Field(min_length=1)
    require: list[list[str]] = Field(default_factory=list)
    near: int | None = None
    title: bool = False

    @field_validator("include")
    @classmethod
    def _check_phrases(cls, value: list[str]) -> list[str]:
        return _phrases(value)

    @field_validator("require", mode="before")
    @classmethod
    def _groups(cls, value: Any) -> Any:
        # A flat list of strings is one group.
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return [value]
        return value

    @field_validator("require")
    @classmethod
    def _check_groups(cls, value: list[list[str]]) -> list[list[str]]:
        if any(not group for group in value):
            raise ValueError("empty require group")
        return [_phrases(group) for group in value]

    @field_validator("near")
    @classmethod
    def _check_near(cls, value: int | None, info: ValidationInfo) -> int | None:
        # Fields are validated in order, so ``require`` is already in info.data.
        if value is None:
            return value
        if not 1 <= value <= MAX_NEAR:
            raise ValueError(f"near must be a number of words from 1 to {MAX_NEAR}")
        if not info.data.get("require"):
            raise ValueError("near needs a require group to measure the distance to")
        return value


class WatchlistSpec(RuleSpec):
    """One watchlist as written in YAML: its own rule (see :class:`RuleSpec`),
    optional ``also`` rules (the item matches when any rule holds), and
    ``exclude`` phrases, any of which vetoes the item whichever rule matched.

    ``scope`` says in a sentence or two what the watchlist is meant to catch
    and not catch; chat and the CLI quote it so a reader can judge a match.
    """

    id: Identifier
    name: str
    description: str
    scope: str = ""
    priority: str = "normal"
    also: list[RuleSpec] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    companies: list[str] = Field(default_factory=list)

    def as_yaml(self) -> dict[str, Any]:
        """The spec as its file would say it, in file order (who it is and its
        scope first, then the rules), leaving out options left at their default,
        for ``watchlists show`` and ``export``."""
        data = self.model_dump()
        data["also"] = [rule.model_dump(exclude_defaults=True) for rule in self.also]
        order = ["id", "name", "description", "scope", "priority", "include", "require"]
        order += ["near", "title", "also", "exclude", "companies"]
        optional: dict[str, Any] = {"scope": "", "near": None, "title": False, "also": []}
        return {k: data[k] for k in order if k not in optional or data[k] != optional[k]}

    @property
    def rules(self) -> list[RuleSpec]:
        """Every way to match: the watchlist's own rule first, then ``also``."""
        return [self, *self.also]

    @field_validator("priority")
    @classmethod
    def _check_priority(cls, value: str) -> str:
        if value not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
        return value

    @field_validator("exclude")
    @classmethod
    def _check_excludes(cls, value: list[str]) -> list[str]:
        return _phrases(value)

    @field_validator("scope")
    @classmethod
    def _check_scope(cls, value: str) -> str:
        return " ".join(value.split())


class CompanySpec(BaseModel):
    """One company: ``aliases`` always mean it; ``weak_aliases`` (a bare "Ford")
    count only when no ``exclude`` phrase ("Doug Ford") is in the item and, if
    ``context`` is given, one of those words is too."""

    model_config = ConfigDict(extra="forbid")

    id: Identifier
    name: str
    short: str = ""  # how replies name it ("denied by Ford"); defaults to ``name``
    aliases: list[str] = Field(min_length=1)
    weak_aliases: list[str] = Field(default_factory=list)
    context: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    tickers: list[str] = Field(default_factory=list)

    @property
    def short_name(self) -> str:
        return self.short or self.name

    @field_validator("aliases", "weak_aliases", "context", "exclude", "tickers")
    @classmethod
    def _check_phrases(cls, value: list[str]) -> list[str]:
        return _phrases(value)


class CompanyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    companies: list[CompanySpec]


class ConceptSpec(BaseModel):
    """One concept of the lexicon: phrases that name the same thing ("levies",
    "duties", "tariffs"). Story grouping counts two items that share a concept
    as sharing a rare word, so a formal title and a press headline meet."""

    model_config = ConfigDict(extra="forbid")

    id: Identifier
    phrases: list[str] = Field(min_length=1)

    @field_validator("phrases")
    @classmethod
    def _check_phrases(cls, value: list[str]) -> list[str]:
        return _phrases(value)


# Contrast families fit one 64-bit mask in story grouping, beside two of its
# own (document numbers and speakers: bot.stories.rules).
MAX_CONTRASTS = 62


class LexiconFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    concepts: list[ConceptSpec]
    # Families of concepts that name different acts of one kind (Section 232
    # and Section 301; a preliminary and a final determination): two items
    # naming different members of a family, and none in common, are not one
    # story however alike their other words are.
    contrasts: list[list[str]] = []
    # Concepts that name who speaks (parties, agencies, chambers): a title's
    # speaker ("Ford says", "Moolenaar:") tells a reaction from the act it is
    # about (bot.speakers).
    speakers: list[str] = []


# ---------------------------------------------------------------- loading


def _line_of(node: yaml.Node, loc: Sequence[int | str]) -> int:
    """Follow a pydantic error location through the YAML node tree to a line."""
    current = node
    for key in loc:
        if isinstance(current, yaml.MappingNode):
            found = next((v for k, v in current.value if k.value == key), None)
            if found is None:
                break
            current = found
        elif isinstance(current, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(current.value):
                break
            current = current.value[key]
        else:
            break
    return current.start_mark.line + 1


# libyaml's safe loader where PyYAML has it: the same documents, read 15x
# faster (every `policywatch` command reads the whole catalog at start).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> tuple[Any, yaml.Node]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise WatchlistFileError(
                path,
                1,
                f"the file has {size / 1024 / 1024:.1f} MB; a watchlist file may have "
                f"at most {MAX_FILE_BYTES // 1024 // 1024} MB",
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WatchlistFileError(path, 1, f"cannot read file: {exc}") from exc
    try:
        node = yaml.compose(text, Loader=_SAFE_LOADER)
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise WatchlistFileError(path, line, f"invalid YAML: {exc.problem}") from exc
    if node is None or not isinstance(data, dict):
        raise WatchlistFileError(path, 1, "expected a mapping at the top of the file")
    if _count_terms(data, MAX_TERMS + 1) > MAX_TERMS:
        raise WatchlistFileError(
            path, 1, f"more than {MAX_TERMS:,} phrases; a file may have at most {MAX_TERMS:,}"
        )
    return data, node


def _validation_error(path: Path, node: yaml.Node, exc: ValidationError) -> WatchlistFileError:
    first = exc.errors()[0]
    loc = [p for p in first["loc"] if isinstance(p, (int, str))]
    where = ".".join(str(p) for p in loc) or "file"
    return WatchlistFileError(path, _line_of(node, loc), f"{where}: {first['msg']}")


def load_watchlist_file(path: Path) -> WatchlistSpec:
    data, node = _read_yaml(path)
    try:
        spec = WatchlistSpec.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(path, node, exc) from exc
    if spec.id != path.stem:
        raise WatchlistFileError(
            path, _line_of(node, ["id"]), f"id '{spec.id}' must equal the file name '{path.stem}'"
        )
    return spec


def load_company_file(path: Path) -> list[CompanySpec]:
    data, node = _read_yaml(path)
    try:
        parsed = CompanyFile.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(path, node, exc) from exc
    seen: set[str] = set()
    for index, company in enumerate(parsed.companies):
        if company.id in seen:
            raise WatchlistFileError(
                path,
                _line_of(node, ["companies", index, "id"]),
                f"duplicate company id '{company.id}'",
            )
        seen.add(company.id)
    return parsed.companies


def read_lexicon(path: Path) -> Lexicon:
    """Concept id -> phrases, the contrast families and the speakers. Ids are
    unique and a phrase (folded) names one concept only: a phrase in two
    concepts would make them one by accident. A contrast family names at least
    two known concepts, and a concept is in one family at most; speakers are
    known concepts."""
    data, node = _read_yaml(path)
    try:
        parsed = LexiconFile.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(path, node, exc) from exc
    concepts: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for index, concept in enumerate(parsed.concepts):
        if concept.id in concepts:
            raise WatchlistFileError(
                path,
                _line_of(node, ["concepts", index, "id"]),
                f"duplicate concept id '{concept.id}'",
            )
        for number, phrase in enumerate(concept.phrases):
            key = fold_phrase(phrase)
            if owner.setdefault(key, concept.id) != concept.id:
                raise WatchlistFileError(
                    path,
                    _line_of(node, ["concepts", index, "phrases", number]),
                    f"phrase '{phrase}' is already in concept '{owner[key]}'",
                )
        concepts[concept.id] = concept.phrases
    family_of: dict[str, int] = {}
    for index, family in enumerate(parsed.contrasts):
        line = _line_of(node, ["contrasts", index])
        if len(set(family)) < 2:
            raise WatchlistFileError(path, line, "a contrast family needs two or more concepts")
        for concept_id in family:
            if concept_id not in concepts:
                raise WatchlistFileError(path, line, f"unknown concept '{concept_id}' in contrasts")
            if family_of.setdefault(concept_id, index) != index:
                raise WatchlistFileError(
                    path, line, f"concept '{concept_id}' is in two contrast families"
                )
    if len(parsed.contrasts) > MAX_CONTRASTS:
        raise WatchlistFileError(
            path, _line_of(node, ["contrasts"]), f"at most {MAX_CONTRASTS} contrast families"
        )
    for concept_id in parsed.speakers:
        if concept_id not in concepts:
            raise WatchlistFileError(
                path, _line_of(node, ["speakers"]), f"unknown concept '{concept_id}' in speakers"
            )
    return Lexicon(concepts, [tuple(family) for family in parsed.contrasts], parsed.speakers)


def shipped_watchlists_dir() -> Path:
    """The shipped folder: packaged as data in a wheel, ``watchlists/`` in a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "_shipped_watchlists"
    return packaged if packaged.is_dir() else here.parent / "watchlists"


@dataclass
class Lexicon:
    """What ``lexicon.yaml`` holds, checked (see :func:`read_lexicon`)."""

    concepts: dict[str, list[str]]
    contrasts: list[tuple[str, ...]]
    speakers: list[str]


@dataclass
class Catalog:
    """Watchlists and companies loaded from one folder (before admin edits)."""

    watchlists: dict[str, WatchlistSpec] = field(default_factory=dict)
    companies: dict[str, CompanySpec] = field(default_factory=dict)
    # Concept id -> equivalent phrases (``lexicon.yaml``), for story grouping.
    lexicon: dict[str, list[str]] = field(default_factory=dict)
    # Contrast families of lexicon concepts (``lexicon.yaml``), for story grouping.
    contrasts: list[tuple[str, ...]] = field(default_factory=list)
    # Lexicon concepts that name who speaks in a title (``lexicon.yaml``).
    speakers: list[str] = field(default_factory=list)


def load_catalog(folder: Path) -> Catalog:
    """Load and cross-check a folder; raises :class:`WatchlistFileError` on the first problem."""
    if not folder.is_dir():
        raise WatchlistFileError(folder, 1, "not a folder")
    catalog = Catalog()
    company_path = folder / COMPANIES_FILE
    if company_path.exists():
        catalog.companies = {c.id: c for c in load_company_file(company_path)}
    lexicon_path = folder / LEXICON_FILE
    if lexicon_path.exists():
        lexicon = read_lexicon(lexicon_path)
        catalog.lexicon, catalog.contrasts = lexicon.concepts, lexicon.contrasts
        catalog.speakers = lexicon.speakers
    for path in sorted(folder.glob("*.yaml")):
        if path.name in _NOT_WATCHLISTS:
            continue
        spec = load_watchlist_file(path)
        _check_company_refs(path, spec, catalog.companies)
        catalog.watchlists[spec.id] = spec
    return catalog


def _check_company_refs(path: Path, spec: WatchlistSpec, companies: dict[str, CompanySpec]) -> None:
    refs = list(spec.companies)
    refs += [p[1:] for rule in spec.rules for g in rule.require for p in g if p.startswith("@")]
    for ref in refs:
        if ref not in companies:
            _, node = _read_yaml(path)
            raise WatchlistFileError(
                path, _line_of(node, ["companies"]), f"unknown company '{ref}'"
            )


def validate_folder(folder: Path) -> list[WatchlistFileError]:
    """Every problem in a folder (one per file), for ``policywatch watchlists validate``."""
    problems: list[WatchlistFileError] = []
    companies: dict[str, CompanySpec] = {}
    company_path = folder / COMPANIES_FILE
    if not folder.is_dir():
        return [WatchlistFileError(folder, 1, "not a folder")]
    if company_path.exists():
        try:
            companies = {c.id: c for c in load_company_file(company_path)}
        except WatchlistFileError as exc:
            problems.append(exc)
    if (folder / LEXICON_FILE).exists():
        try:
            read_lexicon(folder / LEXICON_FILE)
        except WatchlistFileError as exc:
            problems.append(exc)
    for path in sorted(folder.glob("*.yaml")):
        if path.name in _NOT_WATCHLISTS:
            continue
        try:
            spec = load_watchlist_file(path)
            if companies:
                _check_company_refs(path, spec, companies)
        except WatchlistFileError as exc:
            problems.append(exc)
    return problems


# ---------------------------------------------------------------- admin edits


@dataclass(frozen=True)
class WatchlistEdit:
    """One admin change, replayed in order over the shipped catalog."""

    action: str  # create | add | exclude | remove | delete | restore | alias
    target: str  # watchlist id, or company id for "alias"
    value: str = ""  # the term, alias, or the new watchlist's name


def deleted_watchlists(base: Catalog, edits: Iterable[WatchlistEdit]) -> set[str]:
    """Ids of watchlists deleted by an edit and not restored since: what
    ``watchlist restore`` can bring back."""
    gone: set[str] = set()
    for edit in edits:
        if edit.action == "delete":
            gone.add(edit.target)
        elif edit.action in ("restore", "create"):
            gone.discard(edit.target)
    return gone


def apply_edits(base: Catalog, edits: Iterable[WatchlistEdit]) -> Catalog:
    """Return a new catalog with admin edits applied; the base is not changed."""
    watchlists = {k: v.model_copy(deep=True) for k, v in base.watchlists.items()}
    companies = {k: v.model_copy(deep=True) for k, v in base.companies.items()}
    deleted: dict[str, WatchlistSpec] = {}  # what "restore" brings back, edits and all
    for edit in edits:
        if edit.action == "create":
            # A new watchlist matches nothing until an admin adds terms to it.
            watchlists[edit.target] = WatchlistSpec.model_construct(
                id=edit.target,
                name=edit.value,
                description=f"{edit.value} (created in chat)",
                scope="",
                priority="normal",
                include=[],
                require=[],
                near=None,
                title=False,
                also=[],
                exclude=[],
                companies=[],
            )
        elif edit.action == "delete":
            if edit.target in watchlists:
                deleted[edit.target] = watchlists.pop(edit.target)
        elif edit.action == "restore":
            if edit.target in deleted and edit.target not in watchlists:
                watchlists[edit.target] = deleted.pop(edit.target)
        elif edit.action == "alias" and edit.target in companies:
            company = companies[edit.target]
            if edit.value not in company.aliases:
                company.aliases.append(edit.value)
        elif edit.target in watchlists:
            spec = watchlists[edit.target]
            if edit.action == "add" and edit.value not in spec.include:
                spec.include.append(edit.value)
            elif edit.action == "exclude" and edit.value not in spec.exclude:
                spec.exclude.append(edit.value)
            elif edit.action == "remove":
                spec.include = [p for p in spec.include if p.lower() != edit.value.lower()]
                spec.exclude = [p for p in spec.exclude if p.lower() != edit.value.lower()]
    return Catalog(
        watchlists=watchlists,
        companies=companies,
        lexicon=base.lexicon,
        contrasts=base.contrasts,
        speakers=base.speakers,
    )
