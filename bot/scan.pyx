# cython: language_level=3, boundscheck=False, wraparound=False
"""The per-hit loop of :meth:`bot.matcher.Matcher.match`, compiled.

The shipped catalog hits about nine phrases in a typical news item ("us",
"ev", "ford" ...), each with several roles; in Python the word-boundary checks
and the filing of each hit under its roles cost more than the Aho-Corasick
scan itself. Here they run as C over the automaton's output, with the same
rules as before: a phrase that starts (ends) with a letter or digit must not
be preceded (followed) by one, except that a plural or possessive ending
("s", "es", "'s", "s'") may follow where no letter or digit comes after it.
"Letter or digit" is ``str.isalnum``, as in the Python definition.
"""

from cpython.unicode cimport PyUnicode_READ_CHAR

cdef extern from "Python.h":
    bint Py_UNICODE_ISALNUM(Py_UCS4 ch)


cdef inline bint _alnum_at(str text, Py_ssize_t index, Py_ssize_t size):
    return index >= 0 and index < size and Py_UNICODE_ISALNUM(PyUnicode_READ_CHAR(text, index))


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
        if _has(folded, end, size, suffix) and not _alnum_at(folded, end + len(suffix), size):
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
        if payload[1] and _alnum_at(folded, start - 1, size):
            continue
        end = end_index + 1
        if payload[2] and _alnum_at(folded, end, size):
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
