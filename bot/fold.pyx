# cython: language_level=3, boundscheck=False, wraparound=False
""":func:`bot.text.fold` compiled: one C loop over the characters of a text.

Folding was the largest single cost of matching a news item after the scan
itself: nearly half the items carry curly quotes, dashes or accented names,
and the pure-Python path (:mod:`bot.pyfold`) needs a dozen C calls, a regex and
a Python loop per gap for them. Here each character is mapped once (ASCII by a
byte table, the rest by the shared table of :mod:`bot.pyfold`, which defines
folding) and the gaps are dropped in the same pass, with the same results.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.unicode cimport PyUnicode_READ_CHAR

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object text)
    object PyUnicode_FromKindAndData(int kind, const void *buffer, Py_ssize_t size)
    int PyUnicode_4BYTE_KIND

from bot.pyfold import _ASCII_CONTROLS, _ASCII_TABLE, _IN_PLACE, _INDEXES, _MARK, _TABLE

cdef Py_UCS4 SPACE = 32
cdef Py_UCS4 MARK = ord(_MARK)
cdef bytes ASCII_TABLE = _ASCII_TABLE
cdef Py_UCS4 ASCII[128]
cdef bint CONTROL[128]
for _code in range(128):
    ASCII[_code] = _ASCII_TABLE[_code]
    CONTROL[_code] = chr(_code) in _ASCII_CONTROLS
# Code points beyond ASCII that fold in place (quotes, dashes, odd spaces).
cdef frozenset IN_PLACE = frozenset(ord(ch) for ch in _IN_PLACE)
# Looked up with PyObject_GetItem, so that its __missing__ fills it.
cdef object TABLE = _TABLE
cdef list INDEXES = _INDEXES
cdef Py_ssize_t N_INDEXES = len(_INDEXES)


cdef list _indexes(Py_ssize_t start, Py_ssize_t stop):
    """[start, stop) as a list, cut from the shared list of small ints."""
    if stop <= N_INDEXES:
        return INDEXES[start:stop]
    return list(range(start, stop))


cdef tuple _collapse(Py_UCS4 *chars, Py_ssize_t size, Py_UCS4 *out):
    """:func:`bot.pyfold._collapse` after ASCII control white space became
    spaces: every run of spaces and marks but a lone inner space is a gap; an
    inner gap keeps its first space, one at either end nothing. ``chars`` is
    changed; ``out`` has room for ``size`` characters."""
    cdef Py_ssize_t i, j, first, kept = 0, start = 0
    cdef Py_UCS4 c
    cdef list positions = None
    for i in range(size):
        c = chars[i]
        if c < 128 and CONTROL[c]:
            chars[i] = SPACE
    i = 0
    while i < size:
        c = chars[i]
        if c != SPACE and c != MARK:
            out[kept] = c
            kept += 1
            i += 1
            continue
        first = i if c == SPACE else -1
        j = i + 1
        while j < size and (chars[j] == SPACE or chars[j] == MARK):
            if first < 0 and chars[j] == SPACE:
                first = j
            j += 1
        if j - i == 1 and c == SPACE and i > 0 and j < size:
            out[kept] = SPACE  # a lone space between words stays
            kept += 1
            i = j
            continue
        if positions is None:
            positions = []
        positions += _indexes(start, i)
        if i > 0 and j < size and first >= 0:
            out[kept] = SPACE
            kept += 1
            positions.append(first)
        start = i = j
    if positions is None:
        return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, chars, size), None
    positions += _indexes(start, size)
    return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, kept), positions


def fold(object value):
    """Fold ``text`` for matching; returns (folded, positions) where
    ``positions[i]`` is the index in ``text`` of folded character ``i``, or
    None when every character kept its place (see :func:`bot.pyfold.fold`)."""
    if not isinstance(value, str):  # a str subclass (a parsed word) is welcome
        raise TypeError(f"fold() needs a str, not {type(value).__name__}")
    cdef str text = <str>value
    cdef Py_ssize_t i, size = len(text)
    cdef Py_UCS4 c, folded, previous = 0
    cdef bint in_place = True, doubled = False
    cdef object code
    cdef str ascii
    if PyUnicode_IS_ASCII(text):
        ascii = text.encode("ascii").translate(ASCII_TABLE).decode("ascii")
        if "  " not in ascii:
            return ascii, None
        text = ascii
    cdef Py_UCS4 *chars = <Py_UCS4 *>PyMem_Malloc(2 * size * sizeof(Py_UCS4) + 1)
    if chars == NULL:
        raise MemoryError()
    try:
        for i in range(size):
            c = PyUnicode_READ_CHAR(text, i)
            if c < 128:
                folded = ASCII[c]
            else:
                code = <long>c  # an int: a Py_UCS4 would become a str
                if in_place and code not in IN_PLACE:
                    in_place = False
                folded = TABLE[code]
            if folded == SPACE and previous == SPACE:
                doubled = True
            chars[i] = previous = folded
        if in_place and not doubled:
            return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, chars, size), None
        return _collapse(chars, size, chars + size)
    finally:
        PyMem_Free(chars)
