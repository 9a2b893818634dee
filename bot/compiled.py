"""Which implementation of a compiled part this install uses.

Two hot paths are Cython extensions that ``pip install`` builds when a
compiler is there: story grouping (``bot.stories.grouping``, C++) and the
matcher's per-hit loop (``bot.scan``, C). Each has a pure-Python twin with the
same results (tests hold them equal), so an install without a compiler works,
only slower. ``POLICYWATCH_PURE_PYTHON=1`` forces the twins (tests and CI run
both); ``policywatch --version`` says which is in use.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

PURE_PYTHON_ENV = "POLICYWATCH_PURE_PYTHON"


def load(compiled: str, pure: str) -> tuple[ModuleType, str]:
    """The module to use for ``compiled`` (its twin ``pure`` when it was not
    built or when forced), and a description of the choice for people."""
    forced = os.environ.get(PURE_PYTHON_ENV, "").strip()
    if forced not in ("", "0"):
        return importlib.import_module(pure), f"pure Python ({PURE_PYTHON_ENV}={forced})"
    try:
        return importlib.import_module(compiled), "compiled"
    except ModuleNotFoundError as error:
        if error.name != compiled:
            raise  # the extension is there but needs something missing: say so
    return importlib.import_module(pure), "pure Python (no compiler at install)"
