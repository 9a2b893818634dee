"""Both implementations of story grouping under one test suite.

Grouping tests ask for the ``grouping`` fixture (``pytestmark`` at their top):
each of them then runs once with the compiled :class:`StoryIndex`
(``bot.stories.grouping``) and once with the pure-Python one
(``bot.stories.pygrouping``). With ``POLICYWATCH_PURE_PYTHON`` set (CI's
install without a C++ compiler) only the pure one runs; otherwise the compiled
one must be built, and a missing extension fails here rather than being skipped.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from types import ModuleType

import pytest

import bot.stories
from bot.stories import PURE_PYTHON_ENV

IMPLEMENTATIONS = {"compiled": "bot.stories.grouping", "pure": "bot.stories.pygrouping"}


def _names() -> list[str]:
    if os.environ.get(PURE_PYTHON_ENV, "").strip() not in ("", "0"):
        return ["pure"]
    return list(IMPLEMENTATIONS)


@pytest.fixture(scope="module", params=_names())
def grouping(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    """The grouping module under test. Its ``StoryIndex`` replaces the one the
    test module imported, and the one :func:`bot.stories.index_for` builds
    (``benchmarks.stories.run`` and the core use it: the busy-day tests feed
    the labelled sets through it)."""
    module = importlib.import_module(IMPLEMENTATIONS[request.param])
    with pytest.MonkeyPatch.context() as patch:
        if hasattr(request.module, "StoryIndex"):
            patch.setattr(request.module, "StoryIndex", module.StoryIndex)
        patch.setattr(bot.stories, "StoryIndex", module.StoryIndex)
        yield module
