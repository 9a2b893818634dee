# cython: language_level=3, boundscheck=False, wraparound=False
"""The per-hit loop of :meth:`bot.matcher.Matcher.match` and the rules it
then applies to the hits, compiled.

The shipped catalog hits about nine phrases in a typical news item ("us",
"ev", "ford" ...), each with several roles; in Python the word-boundary checks
and the filing of each hit under its roles cost more than the Aho-Corasick
scan itself. Here they run as C over the automaton's output, with the same
rules as before: a phrase that starts (ends) with a word character must not
be preceded (followed) by one, except that a plural or possessive ending
("s", "es", "'s", "s'") may follow where no word character comes after it.
A word character is a letter or digit (``str.isalnum``) outside the scripts
written without spaces (``bot.pyscan.UNSPACED_RANGES``), as in the Python
definition (``bot.pyscan.word_char``).
"""

from cpython.unicode cimport PyUnicode_READ_CHAR

cdef extern from "Python.h":
    bint Py_UNICODE_ISALNUM(Py_UCS4 ch)


from bot.pyscan import UNSPACED_RANGES

cdef Py_UCS4[16] _UNSPACED
cdef Py_ssize_t _UNSPACED_COUNT = len(UNSPACED_RANGES)
assert _UNSPACED_COUNT * 2 <= 16
for _k, (_low, _high) in enumerate(UNSPACED_RANGES):
    _UNSPACED[2 * _k] = _low
    _UNSPACED[2 * _k + 1] = _high


cdef inline bint _word_char_at(str text, Py_ssize_t index, Py_ssize_t size):
    """Whether a word character (bot.pyscan.word_char) is at ``index``."""
    if index < 0 or index >= size:
        return False
    cdef Py_UCS4 char = PyUnicode_READ_CHAR(text, index)
    if not Py_UNICODE_ISALNUM(char):
        return False
    if char < _UNSPACED[0]:
        return True
    cdef Py_ssize_t k
    for k in range(_UNSPACED_COUNT):
        if _UNSPACED[2 * k] <= char <= _UNSPACED[2 * k + 1]:
            return False
    return True


cdef inline bint _has(str text, Py_ssize_t index, Py_ssize_t size, str what):
    cdef Py_ssize_t i, n = len(what)
    if index + n > size:
        return False
    for i in range(n):
        if PyUnicode_READ_CHAR(text, index + i) != PyUnicode_READ_CHAR(what, i):
            return False
    return True


cpdef Py_ssize_t suffix_end(str folded, Py_ssize_t end):
    """The end of a hit once a plural or possessive ending is taken, or -1
    if the phrase stops inside a longer word ("ford" in "fordham")."""
    cdef Py_ssize_t size = len(folded)
    cdef str suffix
    for suffix in ("s", "es", "'s", "s'"):
        if _has(folded, end, size, suffix) and not _word_char_at(folded, end + len(suffix), size):
            return end + len(suffix)
    return -1


def scan(object automaton, str folded):
    """Role number -> the (start, end) hits carrying it, in the order the
    automaton reports them. The automaton's values are (length, check start,
    check end, role numbers)."""
    cdef dict found = {}
    cdef Py_ssize_t size = len(folded)
    cdef Py_ssize_t end_index, start, end
    cdef tuple payload
    cdef tuple hit
    cdef object role, spans
    for end_index, payload in automaton.iter(folded):
        start = end_index - <Py_ssize_t>payload[0] + 1
        if payload[1] and _word_char_at(folded, start - 1, size):
            continue
        end = end_index + 1
        if payload[2] and _word_char_at(folded, end, size):
            end = suffix_end(folded, end)
            if end < 0:
                continue
        hit = (start, end)
        for role in <tuple>payload[3]:
            spans = found.get(role)
            if spans is None:
                found[role] = [hit]
            else:
                (<list>spans).append(hit)
    return found


# ------------------------------------------------------------ rules over the hits
# The twin of each definition below is in bot/pyscan.py (documented there).

cdef list NONE = []  # the hits of a role no phrase of the item matched (never appended to)


cdef class Company:
    """A company's role numbers: aliases, weak aliases, context words (None
    when it has none, so weak aliases need no context) and exclusions."""

    cdef readonly str id
    cdef readonly object alias, weak, context, exclude

    def __init__(self, str id, object alias, object weak, object context, object exclude):
        self.id = id
        self.alias = alias
        self.weak = weak
        self.context = context
        self.exclude = exclude

    cdef void match(self, dict found, list companies, dict evidence):
        cdef list blockers = found.get(self.exclude)
        cdef list strong = found.get(self.alias, NONE)
        cdef list weak = NONE
        if blockers:
            strong = [hit for hit in strong if not _overlaps_any(hit, blockers)]
        elif self.context is None or self.context in found:
            weak = found.get(self.weak, NONE)
        if strong or weak:
            companies.append(self.id)
            evidence[("company", self.id)] = strong + weak


cdef class Rule:
    """A compiled watchlist rule: its watchlist, the role number of the
    watchlist's exclusions, per require group the role number of its phrases
    and the evidence keys of the companies that may meet it, and the placement
    tests."""

    cdef readonly str watchlist
    cdef readonly object exclude
    cdef readonly tuple groups
    cdef readonly object near
    cdef readonly bint title

    def __init__(self, str watchlist, object exclude, tuple groups, object near, bint title):
        self.watchlist = watchlist
        self.exclude = exclude
        self.groups = groups
        self.near = near
        self.title = title

    cpdef list prove(self, list anchors, list groups, str folded, Py_ssize_t title_end):
        cdef tuple anchor, hit
        cdef list proof, group
        cdef Py_ssize_t near
        cdef bint met
        if self.title:
            anchors = [hit for hit in anchors if <Py_ssize_t>hit[0] < title_end]
        if self.near is None:
            return [anchors[0]] + [group[0] for group in groups] if anchors else []
        near = self.near
        for anchor in anchors:
            proof = [anchor]
            for group in groups:
                met = False
                for hit in group:
                    if words_apart(folded, anchor, hit, title_end) <= near:
                        proof.append(hit)
                        met = True
                        break
                if not met:
                    break
            else:
                return proof
        return []


def evaluate(dict found, dict drivers, str folded, Py_ssize_t title_end):
    """Apply the rules to the hits of one item: (watchlists, companies,
    concepts, evidence, event cues, event blockers)."""
    cdef list watchlists = [], companies = [], concepts = [], named = [], rules = []
    cdef dict evidence = {}, cues = {}, blocks = {}
    cdef list groups, hits, include_hits, proof
    cdef object role, spans, driver, require, named_hits
    cdef tuple refs, pair
    cdef Rule rule
    cdef Company company
    cdef bint met
    for role, spans in found.items():
        driver = drivers.get(role)
        if driver is None:
            continue
        if type(driver) is Rule:
            rules.append((driver, spans))
        elif type(driver) is Company:
            if driver not in named:
                named.append(driver)
        elif type(driver) is str:
            concepts.append(driver)
        elif (<tuple>driver)[0]:
            cues[(<tuple>driver)[1]] = spans
        else:
            blocks[(<tuple>driver)[1]] = spans
    if len(named) > 1:
        named.sort(key=_company_id)
    for company in named:
        company.match(found, companies, evidence)
    for pair in rules:
        rule = pair[0]
        include_hits = pair[1]
        if rule.watchlist in watchlists or rule.exclude in found:
            continue
        groups = []
        met = True
        for require, refs in rule.groups:
            hits = found.get(require, NONE)
            for ref in refs:
                named_hits = evidence.get(ref)
                if named_hits is not None:
                    hits = hits + <list>named_hits
            if not hits:
                met = False
                break
            groups.append(hits)
        if met:
            proof = rule.prove(include_hits, groups, folded, title_end)
            if proof:
                watchlists.append(rule.watchlist)
                evidence[("watchlist", rule.watchlist)] = proof
    watchlists.sort()
    return watchlists, companies, concepts, evidence, cues, blocks


def _company_id(Company company):
    return company.id


cpdef Py_ssize_t words_apart(str folded, tuple one, tuple other, Py_ssize_t title_end):
    """How many words lie between two hits (0 when they touch or overlap)."""
    cdef tuple first, second
    cdef Py_ssize_t start, stop, i, spaces = 0
    if <Py_ssize_t>one[0] <= <Py_ssize_t>other[0]:
        first, second = one, other
    else:
        first, second = other, one
    start = first[1]
    stop = second[0]
    if stop < start:
        return 0
    for i in range(start, stop):
        if PyUnicode_READ_CHAR(folded, i) == 32:
            spaces += 1
    if start <= title_end < stop:
        spaces -= 1
    return spaces - 1 if spaces > 1 else 0


cdef bint _overlaps_any(tuple hit, list others):
    cdef Py_ssize_t start = hit[0], end = hit[1]
    cdef tuple other
    for other in others:
        if <Py_ssize_t>other[0] < end and start < <Py_ssize_t>other[1]:
            return True
    return False


# ------------------------------------------------------------ explanations

from bot.pyscan import SEPARATOR

cdef Py_ssize_t SEPARATOR_LENGTH = len(SEPARATOR)


def explain(list watchlists, list companies, dict evidence, object title, object joined, object positions):
    """The evidence of every watchlist and company as JSON-ready dicts."""
    cdef dict made = {}, shown_watchlists = {}, shown_companies = {}
    cdef object key
    for key in watchlists:
        shown_watchlists[key] = _as_json(evidence[("watchlist", key)], made, title, joined, positions)
    for key in companies:
        shown_companies[key] = _as_json(evidence[("company", key)], made, title, joined, positions)
    return {"watchlists": shown_watchlists, "companies": shown_companies}


cdef list _as_json(list spans, dict made, object title, object joined, object positions):
    cdef list out = []
    cdef object span, shown, text
    cdef str field
    cdef Py_ssize_t start, end, offset
    for span in (outermost(spans) if len(spans) > 1 else spans):
        shown = made.get(span)
        if shown is None:
            start = (<tuple>span)[0]
            end = (<tuple>span)[1]
            if positions:
                start = (<list>positions)[start]
                end = <Py_ssize_t>(<list>positions)[end - 1] + 1
            text = joined[start:end]
            offset = len(title) + SEPARATOR_LENGTH
            field = "title"
            if start >= offset:
                field = "summary"
                start -= offset
                end -= offset
            shown = made[span] = {
                "phrase": text.lower(),
                "field": field,
                "start": start,
                "end": end,
                "text": text,
            }
        out.append(shown)
    return out


def _outer_first(tuple span):
    return (span[0], -span[1])


cpdef list outermost(list raw):
    """The distinct spans of ``raw`` that no other span contains, in text order."""
    if len(raw) == 1:
        return raw
    cdef list out = []
    cdef Py_ssize_t reach = -1, end
    cdef tuple span
    for span in sorted(set(raw), key=_outer_first):
        end = span[1]
        if end > reach:
            out.append(span)
            reach = end
    return out
