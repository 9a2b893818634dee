"""`policywatch export` / `import`: a round trip between two deployments, dry runs,
idempotence, and bad files refused with file:line (core on real SQLite, and the
command line as a subprocess)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.caller import Caller
from bot.config import Settings
from bot.core import PolicyWatch
from bot.exchange import export_state, run_import
from bot.store.records import AuditEntry, ChatSource
from bot.watchlists import WatchlistFileError
from tests.test_cli import run

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
SLACK = Caller(platform="slack", workspace="T1", channel="C1", user="U_ADMIN", platform_admin=True)
DISCORD = Caller(platform="discord", workspace="1234", channel="5678", user="U_ADMIN")


async def _set_up(core: PolicyWatch) -> None:
    """A deployment a team has shaped from chat."""
    core.clock = lambda: NOW
    for caller, text in [
        (SLACK, "subscribe ev-tariffs weekly on fri at 08:30 tz America/New_York only tariff"),
        (SLACK, "subscribe catl-licensing instant quiet 22:00-07:00 min high without Xiaomi"),
        (SLACK, "pause catl-licensing for 3d"),
        (DISCORD, "subscribe ev-tax-credits daily"),
        (DISCORD, "pause"),
        (SLACK, "watchlist add ev-tariffs countervailing duty"),
        (SLACK, "watchlist exclude ev-tariffs tariff refund"),
        (SLACK, "watchlist create solar-tariffs Solar tariffs"),
        (SLACK, "watchlist add solar-tariffs solar panel tariff"),
        (SLACK, "watchlist delete house-china-committee confirm"),
        (SLACK, "company alias ford Blue Oval Co"),
    ]:
        reply = await core.handle(dataclasses.replace(caller, platform_admin=True), text)
        assert not reply.is_error, (text, reply.to_text())
    entry = AuditEntry(NOW, "slack", "T1", "U_ADMIN", "alert mention", "test", "ok")
    await core.store.set_mention(SLACK.channel_key, "<!subteam^S0TEAM|@policy>", entry)
    await core.store.add_chat_source(
        ChatSource(
            "ustr-press", "https://ustr.example/feed.xml", 120, True, "U_ADMIN", NOW, "slack", "T1"
        ),
        entry,
    )


@pytest.fixture
async def other(tmp_path: Path) -> PolicyWatch:
    """A second, empty deployment to import into."""
    settings = Settings(
        data_dir=tmp_path / "other",
        database_url=f"sqlite:///{tmp_path / 'other.db'}",
        sources_file=Path(__file__).parent / "fixtures" / "no_sources.yaml",
    )
    instance = await PolicyWatch.open(settings)
    instance.clock = lambda: NOW
    yield instance  # type: ignore[misc]
    await instance.close()


async def test_export_import_round_trip_is_exact_and_idempotent(
    core: PolicyWatch, other: PolicyWatch, tmp_path: Path
) -> None:
    await _set_up(core)
    text = await export_state(core)
    data = yaml.safe_load(text)
    assert [s["watchlist"] for s in data["subscriptions"]] == [
        "ev-tariffs",
        "catl-licensing",
        "ev-tax-credits",
    ]
    weekly, instant, paused = data["subscriptions"]
    assert (weekly["day"], weekly["only"], weekly["at"]) == ("friday", "tariff", "08:30")
    assert (instant["min"], instant["without"], instant["quiet"]) == (
        "high",
        "Xiaomi",
        "22:00-07:00",
    )
    assert instant["paused"] is True and instant["paused_until"].startswith("2026-11-28T12:00")
    assert paused["paused"] is True and "paused_until" not in paused  # until resumed
    assert data["deleted_watchlists"] == ["house-china-committee"]
    assert data["company_aliases"] == [{"company": "ford", "aliases": ["Blue Oval Co"]}]
    assert data["sources"][0]["every"] == "2h" and data["sources"][0]["paused"] is True
    path = tmp_path / "export.yaml"
    path.write_text(text, encoding="utf-8")

    planned = await run_import(other, path, "ops", dry_run=True)
    assert "watchlist create solar-tariffs Solar tariffs" in planned
    assert "subscription added: slack/T1/C1 ev-tariffs" in planned
    assert "subscription paused: discord/1234/5678 ev-tax-credits" in planned
    assert await other.store.all_subscriptions() == []  # a dry run changes nothing
    assert await other.store.edits() == []

    applied = await run_import(other, path, "ops", dry_run=False)
    assert applied == planned
    assert await export_state(other) == text  # the same deployment, entry for entry
    assert await run_import(other, path, "ops", dry_run=False) == []  # idempotent
    audit = await other.store.recent_audit(100)
    assert {e.action for e in audit} == {"import"} and all(e.user == "ops" for e in audit)


async def test_import_moves_a_term_between_include_and_exclude(
    core: PolicyWatch, tmp_path: Path
) -> None:
    core.clock = lambda: NOW
    path = tmp_path / "terms.yaml"
    spec = core.registry.catalog.watchlists["ev-tariffs"]
    moved = spec.include[0]
    path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "watchlists": [
                    {"id": "ev-tariffs", "include": spec.include[1:], "exclude": [moved]}
                ],
            }
        )
    )
    assert await run_import(core, path, "ops", dry_run=False)
    now = core.registry.catalog.watchlists["ev-tariffs"]
    assert moved not in now.include and moved in now.exclude
    assert await run_import(core, path, "ops", dry_run=False) == []


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        (
            "version: 1\nsubscriptions:\n  - platform: slack\n    workspace: T\n    channel: C\n"
            "    watchlist: ev-tariffs\n    cadence: hourly\n",
            7,
            "subscriptions.0.cadence",
        ),
        (
            "version: 1\nsubscriptions:\n  - {platform: slack, workspace: T, channel: C,"
            " watchlist: ev-tariffs}\n  - {platform: slack, workspace: T, channel: C,"
            " watchlist: ev-tarifs}\n",
            4,
            "no watchlist 'ev-tarifs'",
        ),
        (
            "version: 1\nsubscriptions:\n\n  - {platform: slack, workspace: T, channel: C,"
            " watchlist: ev-tariffs, tz: Mars/Olympus}\n",
            4,
            "unknown time zone 'Mars/Olympus'",
        ),
        (
            "version: 1\nmentions:\n  - {platform: slack, workspace: T, channel: C,"
            " mention: '<!channel>'}\n",
            3,
            "not a Slack user group or a Discord role",
        ),
        ("version: 1\nsources:\n  - name: feed\n    url: ftp://x.example/feed\n", 4, "url"),
        ("version: 1\nsubscriptions: [\n", 3, "invalid YAML"),
        ("version: 2\n", 1, "version"),
    ],
)
async def test_a_bad_file_is_refused_with_file_and_line(
    core: PolicyWatch, tmp_path: Path, body: str, line: int, reason: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(WatchlistFileError) as caught:
        await run_import(core, path, "ops", dry_run=False)
    assert str(caught.value).startswith(f"{path}:{line}: "), str(caught.value)
    assert reason in str(caught.value)
    assert await core.store.all_subscriptions() == []  # nothing applied


def test_export_and_import_on_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "ask", "--channel", "C5", "subscribe ev-tariffs min high").returncode == 0
    out = tmp_path / "state.yaml"
    assert run(env, "export", "--output", str(out)).returncode == 0
    assert "min: high" in out.read_text()
    moved = dict(env, POLICYWATCH_DATA_DIR=str(tmp_path / "elsewhere"))
    dry = run(moved, "import", str(out), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would change (dry run, nothing applied) 1 thing\n" in dry.stdout
    assert "  subscription added: console/local/C5 ev-tariffs" in dry.stdout
    assert run(moved, "import", str(out)).returncode == 0
    assert "changed 0 things" in run(moved, "import", str(out)).stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nsources: 7\n")
    refused = run(moved, "import", str(bad))
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith(f"policywatch: {bad}:2: sources")
