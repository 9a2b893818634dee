"""Start-up memory on a large SQLite store: the peak RSS of opening the bot.

    python -m benchmarks.startup [--items 1000000] [--days 60] [--keep PATH]

Fills a throw-away SQLite database with ``--items`` synthetic items (the
helpers of :mod:`benchmarks.store`), published over the last ``--days`` days
and grouped three to a story, so the story-index rebuild at start has a full
answer window to replay. Then, in a fresh process each, it opens the bot as
``policywatch run`` does (``PolicyWatch.open``: migrations, watchlists, the
story-index rebuild) and runs the first digest tick, and reports that
process's peak RSS (``ru_maxrss``) and its RSS afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.store import fill_sqlite
from bot.store import open_store
from bot.store.codec import to_db

_CHILD = """
import asyncio, json, resource, sys
from pathlib import Path
from bot.config import Settings
from bot.core import PolicyWatch

def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

async def main(path):
    before = rss_mb()
    settings = Settings(data_dir=Path(path).parent, database_url=f"sqlite:///{path}")
    core = await PolicyWatch.open(settings)
    await core.run_digests()
    after = rss_mb()
    stories = len(core.stories)
    await core.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"before": before, "after": after, "peak": peak, "stories": stories}))

asyncio.run(main(sys.argv[1]))
"""


def spread_recent(path: Path, days: int) -> None:
    """Move the items' dates into the last ``days`` days (newest last) and put
    them in stories of three, as a store a running bot filled would be."""
    now = datetime.now(UTC)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    (total,) = db.execute("SELECT MAX(pk) FROM items").fetchone()
    step = days * 86400 / max(total, 1)
    start = now - timedelta(days=days)
    db.create_function(
        "bench_at", 1, lambda pk: to_db(start + timedelta(seconds=pk * step)), deterministic=True
    )
    with db:
        db.execute(
            "UPDATE items SET published = bench_at(pk), sort_at = bench_at(pk), "
            "story_id = 's' || (pk / 3), event_type = 'other'"
        )
        db.execute("UPDATE matches SET sort_at = bench_at(item_pk)")
        db.execute(
            "INSERT INTO stories(id, headline, first_seen, last_seen, event_type) "
            "SELECT story_id, MIN(title), MIN(sort_at), MAX(sort_at), 'other' "
            "FROM items GROUP BY story_id"
        )
    db.execute("ANALYZE")
    db.close()


def measure(path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


async def build(path: Path, items: int, days: int) -> float:
    started = time.perf_counter()
    store = await open_store(f"sqlite:///{path}")  # migrations
    await store.close()
    fill_sqlite(path, items)
    spread_recent(path, days)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the database here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pw-startup-") as folder:
        path = args.keep or Path(folder) / "startup.db"
        if not path.exists():
            built = asyncio.run(build(path, args.items, args.days))
            print(f"filled {args.items:,} items in {built:.0f} s ({path})")
        for run in range(args.runs):
            m = measure(path)
            print(
                f"run {run + 1}: peak {m['peak']:.0f} MB during start-up, "
                f"{m['after']:.0f} MB after ({m['before']:.0f} MB before opening); "
                f"{m['stories']:,} stories in the index"
            )


if __name__ == "__main__":
    main()
