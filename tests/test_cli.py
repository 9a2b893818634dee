"""The ``policywatch`` command line, run as a real subprocess."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import yaml

from bot import __version__


def run(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_version_says_which_compiled_parts_are_in_use(env: dict[str, str]) -> None:
    # A compiled extension is used when the install built it.
    def state(module: str) -> str:
        built = importlib.util.find_spec(module) is not None
        return "compiled" if built else "pure Python (no compiler at install)"

    result = run(env, "--version")
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"policywatch {__version__}",
        f"story grouping: {state('bot.stories.grouping')}",
        f"matcher scan: {state('bot.scan')}",
    ]
    forced = run({**env, "POLICYWATCH_PURE_PYTHON": "1"}, "--version")
    assert forced.stdout.splitlines()[1:] == [
        "story grouping: pure Python (POLICYWATCH_PURE_PYTHON=1)",
        "matcher scan: pure Python (POLICYWATCH_PURE_PYTHON=1)",
    ]


def test_ask_sample_company_ford(env: dict[str, str]) -> None:
    result = run(env, "ask", "--sample", "company ford")
    assert result.returncode == 0, result.stderr
    assert "Xiaomi" in result.stdout and "CATL" in result.stdout
    assert "Doug Ford" not in result.stdout and "Harrison Ford" not in result.stdout
    assert "Ford Motor Company" in run(env, "ask", "company Frod").stdout


def test_ask_exit_codes(env: dict[str, str]) -> None:
    assert run(env, "ask", "compnay ford").returncode == 1
    refused = run(env, "ask", "watchlist add ev-tariffs levy")
    assert refused.returncode == 1 and "Only admins" in refused.stdout
    allowed = run(env, "ask", "--as-admin", "watchlist add ev-tariffs import levy")
    assert allowed.returncode == 0, allowed.stdout
    admins_env = {**env, "POLICYWATCH_ADMINS": "alice,bob"}
    assert run(admins_env, "ask", "--user", "bob", "audit").returncode == 0
    assert run(env, "ask", "--user", "bob", "audit").returncode == 1


def test_bad_arguments_give_one_line_on_stderr(env: dict[str, str]) -> None:
    for args in (
        ["ask"],
        ["match"],
        ["frobnicate"],
        ["digest", "--now", "yesterday"],
        ["ingest", "--feed"],
    ):
        result = run(env, *args)
        assert result.returncode != 0, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_match_streams_jsonl_with_explanations(env: dict[str, str]) -> None:
    lines = [
        {"id": "a", "title": "Ford held talks with Xiaomi over a US EV joint venture"},
        {"id": "b", "title": "Doug Ford criticises tariffs"},
        {"bad": "line"},
        {
            "id": "c",
            "title": "CATL licenses LFP tech to Ford’s Marshall plant",
            "summary": "",
            "url": None,
        },
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\nnot json\n"
    result = run(env, "match", "--input", "-", stdin=stdin)
    assert result.returncode == 1  # two bad lines, reported, the rest still matched
    assert result.stderr.count("skipped") == 2
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c"]
    assert out[0]["companies"] == ["ford", "xiaomi"]
    assert "chinese-ev-partnerships" in out[0]["watchlists"]
    assert out[1]["companies"] == [] and out[1]["watchlists"] == []
    assert "catl-licensing" in out[2]["watchlists"]
    assert out[0]["event_type"] == "deal_report" and out[0]["story"]
    assert out[1]["story"] != out[0]["story"]
    hit = out[0]["explain"]["companies"]["xiaomi"][0]
    assert lines[0]["title"][hit["start"] : hit["end"]] == "Xiaomi"


def test_watchlists_list_show_export_and_validate(env: dict[str, str], tmp_path: Path) -> None:
    listing = run(env, "watchlists", "list")
    assert listing.returncode == 0 and len(listing.stdout.splitlines()) == 5
    shown = run(env, "watchlists", "show", "ev-tariffs").stdout
    assert "include:" in shown
    # The scope note comes first, as a comment, and the output still loads as YAML.
    assert shown.startswith("# Scope: US tariffs") and "from any country" in shown
    assert yaml.safe_load(shown)["id"] == "ev-tariffs"
    assert run(env, "watchlists", "show", "nope").returncode == 1
    assert "companies:" in run(env, "watchlists", "export").stdout
    assert run(env, "watchlists", "validate").returncode == 0
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.yaml").write_text("id: broken\nname: B\ndescription: d\ninclude: []\n")
    result = run(env, "watchlists", "validate", str(bad))
    assert result.returncode == 1
    assert f"{bad / 'broken.yaml'}:4:" in result.stderr


def test_db_upgrade_and_ingest_file(env: dict[str, str], tmp_path: Path) -> None:
    assert "version" in run(env, "db", "upgrade").stdout
    feed = tmp_path / "items.jsonl"
    feed.write_text(json.dumps({"id": "x1", "title": "BYD weighs a US plant"}) + "\n")
    first = run(env, "ingest", "--file", str(feed))
    assert first.returncode == 0 and "1 new" in first.stdout
    again = run(env, "ingest", "--file", str(feed), "--sample")
    assert "0 new, 1 duplicates" in again.stdout
    assert "BYD weighs a US plant" in run(env, "ask", "company byd").stdout


def test_custom_watchlists_dir_and_bad_database_url(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "lfp.yaml").write_text("id: lfp\nname: LFP\ndescription: LFP news\ninclude: [LFP]\n")
    custom = {**env, "POLICYWATCH_WATCHLISTS_DIR": str(folder)}
    assert run(custom, "watchlists", "list").stdout.startswith("lfp\t")
    bad = run({**env, "POLICYWATCH_DATABASE_URL": "mysql://x"}, "ask", "help")
    assert bad.returncode == 2 and "unsupported database URL" in bad.stderr


def test_run_console_reads_commands_until_end_of_input(env: dict[str, str]) -> None:
    result = run(env, "run", "--sample", stdin="company ford\nwatchlists\n")
    assert result.returncode == 0, result.stderr
    assert "policywatch>" in result.stdout
    assert "Ford Motor Company" in result.stdout
    assert "house-china-committee" in result.stdout


def test_sources_lists_health_after_a_failed_fetch(env: dict[str, str], tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    # Port 9 on loopback: nothing listens, so the fetch fails fast and locally.
    sources.write_text("sources:\n  - id: local-feed\n    url: http://127.0.0.1:9/feed.xml\n")
    local = {**env, "POLICYWATCH_SOURCES_FILE": str(sources), "POLICYWATCH_ALLOW_PRIVATE_URLS": "1"}
    fetched = run(local, "ingest")
    assert fetched.returncode == 1 and "local-feed: error:" in fetched.stdout
    listed = run(local, "sources")
    assert listed.returncode == 0
    assert (
        "local-feed" in listed.stdout
        and "FAILING" in listed.stdout
        and "last error" in listed.stdout
    )


def test_json_logs(env: dict[str, str]) -> None:
    result = run(
        {**env, "POLICYWATCH_LOG_FORMAT": "json", "POLICYWATCH_LOG_LEVEL": "info"},
        "ask",
        "--sample",
        "help",
    )
    assert result.returncode == 0
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(entry) for entry in lines)
