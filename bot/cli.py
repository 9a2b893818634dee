"""The ``policywatch`` command line (see shared/INTERFACE.md).

Every subcommand prints one clear line on stderr and exits non-zero on bad
input; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import textwrap
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

import yaml

from bot import __version__
from bot.caller import Caller
from bot.config import ConfigError, Settings
from bot.logs import configure_logging
from bot.matcher import SCAN, Matcher
from bot.models import Item, parse_timestamp
from bot.stories import EVENT_RULES, GROUPING, index_for
from bot.watchlists import WatchlistFileError, load_catalog, shipped_watchlists_dir, validate_folder

if TYPE_CHECKING:
    from bot.core import PolicyWatch


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


class _Version(argparse.Action):
    """``--version``: the version, and which implementations of the compiled
    parts this install uses (compiled, or pure Python when there was no
    compiler at install), one per line (argparse's own version action would
    join them)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"policywatch {__version__}\nstory grouping: {GROUPING}\nmatcher scan: {SCAN}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="policywatch", description="Watch US policy and industry news in chat.")
    parser.add_argument(
        "--version", action=_Version, help="print the version and which compiled parts are in use"
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="start the bot (console when no chat credentials are set)")
    run.add_argument("--sample", action="store_true", help="load the bundled sample items first")

    ask = sub.add_parser("ask", help="run one chat command and print the reply")
    ask.add_argument("text", help="the chat command, e.g. 'company ford'")
    ask.add_argument("--sample", action="store_true", help="load the bundled sample items first")
    ask.add_argument("--as-admin", action="store_true", help="run with admin rights")
    ask.add_argument("--user", default="cli-user", help="user id to act as")
    ask.add_argument("--channel", default="cli", help="channel id to act in")

    match = sub.add_parser("match", help="match JSONL items offline, one JSON line out per item")
    match.add_argument("--input", required=True, help="JSONL file, or - for stdin")
    match.add_argument("--watchlists", type=Path, help="watchlists folder (default: shipped)")

    ingest = sub.add_parser("ingest", help="fetch, match and store now")
    ingest.add_argument("--sample", action="store_true", help="ingest the bundled sample items")
    ingest.add_argument(
        "--feed", action="append", default=[], metavar="URL", help="an RSS/Atom feed URL"
    )
    ingest.add_argument(
        "--file",
        action="append",
        default=[],
        type=Path,
        metavar="PATH",
        help="a JSONL or feed file",
    )

    digest = sub.add_parser("digest", help="build (and send) due digests")
    digest.add_argument("--channel", help="only this channel id")
    digest.add_argument("--now", help="pretend it is this ISO 8601 time")
    digest.add_argument("--dry-run", action="store_true", help="print digests without sending")

    wl = sub.add_parser("watchlists", help="inspect and check watchlist files")
    wl_sub = wl.add_subparsers(dest="wl_command", parser_class=_Parser, required=True)
    wl_sub.add_parser("list", help="list watchlists")
    show = wl_sub.add_parser("show", help="show one watchlist")
    show.add_argument("id")
    validate = wl_sub.add_parser("validate", help="check a folder; exit 1 on a bad file")
    validate.add_argument("dir", nargs="?", type=Path)
    wl_sub.add_parser(
        "export", help="print the watchlists in force (files plus chat edits) as YAML"
    )

    sub.add_parser("sources", help="configured sources and their health")

    export = sub.add_parser(
        "export", help="subscriptions, filters, chat-added sources and watchlist edits as YAML"
    )
    export.add_argument("--output", type=Path, metavar="FILE", help="write here, not to stdout")
    imp = sub.add_parser("import", help="apply a file made by `policywatch export`")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--dry-run", action="store_true", help="say what would change; change nothing")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", parser_class=_Parser, required=True)
    db_sub.add_parser("upgrade", help="apply schema migrations")
    return parser


#: Exit statuses (listed in the README's operator section).
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_PIPE_CLOSED, EXIT_INTERRUPTED = 0, 1, 2, 141, 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Bad input (arguments, environment values, the database
    URL) is one line on stderr and status 2; a failure while running (a file
    that does not load, a database that stays unreachable, a failed send) is
    one line and status 1."""
    configure_logging(os.environ)
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return EXIT_BAD_INPUT
        settings = Settings.from_env()
        # Offline matching and validation need neither the core nor an event
        # loop: they run here, and start without importing either (asyncio
        # alone is a tenth of `policywatch match` on a small file).
        if args.command == "match":
            return _match(
                args.input, args.watchlists or settings.watchlists_dir or shipped_watchlists_dir()
            )
        if args.command == "watchlists" and args.wl_command == "validate":
            return _validate(args.dir or settings.watchlists_dir or shipped_watchlists_dir())
        import asyncio

        return asyncio.run(_dispatch(args, settings))
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except ConfigError as exc:  # a database URL that does not parse is one too
        print(f"policywatch: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except WatchlistFileError as exc:  # a file's content, as `watchlists validate` reports it
        print(f"policywatch: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader went away (`policywatch ... | head`): stop quietly. Point
        # stdout at devnull so the interpreter's final flush cannot complain
        # (the recipe in the Python docs' note on SIGPIPE).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PIPE_CLOSED
    except OSError as exc:
        print(f"policywatch: {_os_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except sqlite3.OperationalError as exc:  # locked past the busy timeout, disk full, ...
        print(f"policywatch: the SQLite database failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _os_error(exc: OSError) -> str:
    """``[Errno 2] No such file or directory: 'x'`` as ``x: no such file or directory``."""
    if exc.strerror and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror[:1].lower()}{exc.strerror[1:]}"
    return str(exc)


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    # The core brings the store, the fetchers and the chat commands: imported
    # here, offline matching and validation start without them (a third of a
    # second).
    from bot.core import PolicyWatch

    core = await PolicyWatch.open(settings)
    try:
        handler = _CORE_COMMANDS[args.command]
        return await handler(core, args)
    finally:
        await core.close()


# ------------------------------------------------------------------ commands on the core


async def _run(core: PolicyWatch, args: argparse.Namespace) -> int:
    from bot.runner import run_bot

    if args.sample:
        await core.load_sample()
    await run_bot(core)
    return 0


async def _ask(core: PolicyWatch, args: argparse.Namespace) -> int:
    if args.sample:
        await core.load_sample()
    caller = Caller(
        platform="console",
        workspace="local",
        channel=args.channel,
        user=args.user,
        platform_admin=args.as_admin,
    )
    reply = await core.handle(caller, args.text)
    print(reply.to_text())
    return 1 if reply.is_error else 0


async def _ingest(core: PolicyWatch, args: argparse.Namespace) -> int:
    """Without options: every configured source. Exit 1 when any source failed,
    2 (before fetching anything) when a --feed is not a URL."""
    from bot.core import sample_items
    from bot.sources import SourceConfigError, fetch_url_source, parse_file

    try:
        sources = [fetch_url_source(url) for url in args.feed]
    except SourceConfigError as exc:
        raise UsageError(f"policywatch ingest: {exc}") from None
    failures = 0
    if args.sample:
        result = await core.ingest(sample_items())
        print(f"sample: {result.new} new, {result.duplicates} duplicates")
    for path in args.file:
        try:
            parsed = parse_file(path)
        except (OSError, ValueError) as exc:
            print(f"{path}: error: {exc}")
            failures += 1
            continue
        result = await core.ingest(parsed.items)
        print(
            f"{path}: {result.new} new, {result.duplicates} duplicates{_notes(parsed.describe())}"
        )
    if not (args.sample or args.file or args.feed):
        sources = await core.all_sources()
    for report, result in await core.fetch_and_store(sources, only_due=False):
        if report.status == "error":
            failures += 1
            print(f"{report.source_id}: error: {report.error}")
        elif report.status == "skipped":
            print(f"{report.source_id}: skipped (another replica is fetching it)")
        elif report.status == "not_modified":
            print(f"{report.source_id}: not modified ({report.requests} request)")
        else:
            print(
                f"{report.source_id}: {len(report.items)} items, {result.new} new, "
                f"{result.duplicates} duplicates ({report.requests} requests, "
                f"{report.elapsed_s:.1f} s){_notes(report.notes)}"
            )
    return 1 if failures else 0


def _notes(notes: str | None) -> str:
    """What the parse dropped or guessed, appended to an ingest line ("; 3 entries had no link")."""
    return f"; {notes}" if notes else ""


async def _digest(core: PolicyWatch, args: argparse.Namespace) -> int:
    now = parse_timestamp(args.now) if args.now else None
    if args.now and now is None:
        raise UsageError(f"policywatch digest: --now must be ISO 8601, got '{args.now}'")
    built = await core.run_digests(now, channel=args.channel, dry_run=args.dry_run)
    for digest in built:
        print(f"--- {digest.kind} for {'/'.join(digest.channel)}")
        print(digest.reply.to_text())
    if not built:
        print("no digests due")
    if args.dry_run:
        return 0
    from bot.digests.sender import OutboxSender
    from bot.runner import enabled_adapters

    adapters = {
        a.platform: a
        for a in enabled_adapters(core, include_console=True)
        if a.delivers_without_connection
    }
    lease = timedelta(seconds=core.settings.outbox_lease_seconds)
    report = await OutboxSender(core.store, adapters, lease=lease).drain()
    for wait in report.taken_over:
        print(wait.describe())
    print(f"sent {report.sent}, retrying {report.retried}, failed {report.failed}")
    if report.skipped:
        platforms = ", ".join(sorted(report.skipped_platforms))
        print(
            f"{report.skipped} for {platforms} (sent by `policywatch run`): left for the running bot"
        )
    for wait in report.left:
        print(wait.describe())
    return 1 if report.failed else 0


async def _watchlists(core: PolicyWatch, args: argparse.Namespace) -> int:
    catalog = core.registry.catalog
    if args.wl_command == "list":
        for wl in sorted(catalog.watchlists.values(), key=lambda w: w.id):
            print(f"{wl.id}\t{wl.priority}\t{wl.name} — {wl.description}")
        return 0
    if args.wl_command == "show":
        spec = catalog.watchlists.get(args.id)
        if spec is None:
            print(f"policywatch: no watchlist '{args.id}'", file=sys.stderr)
            return 1
        # The scope note first, as prose (a YAML comment, so the output still
        # loads): it says what the rules below are for.
        shown = spec.as_yaml()
        if shown.pop("scope", ""):
            print(
                textwrap.fill(
                    f"Scope: {spec.scope}",
                    88,
                    initial_indent="# ",
                    subsequent_indent="# ",
                    break_on_hyphens=False,
                )
            )
        print(yaml.safe_dump(shown, sort_keys=False, allow_unicode=True), end="")
        return 0
    export: dict[str, Any] = {
        "watchlists": [
            w.as_yaml() for w in sorted(catalog.watchlists.values(), key=lambda w: w.id)
        ],
        "companies": [
            c.model_dump() for c in sorted(catalog.companies.values(), key=lambda c: c.id)
        ],
    }
    print(yaml.safe_dump(export, sort_keys=False, allow_unicode=True), end="")
    return 0


async def _sources(core: PolicyWatch, args: argparse.Namespace) -> int:
    reply = await core.sources_reply()
    print(reply.to_text())
    return 1 if reply.is_error else 0


async def _export(core: PolicyWatch, args: argparse.Namespace) -> int:
    from bot.exchange import export_state

    text = await export_state(core)
    if args.output is None:
        print(text, end="")
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


async def _import(core: PolicyWatch, args: argparse.Namespace) -> int:
    """Exit 1 with file:line on a bad file (WatchlistFileError, printed by :func:`main`)."""
    from bot.exchange import run_import

    changes = await run_import(core, args.file, _operator(), dry_run=args.dry_run)
    verb = "would change (dry run, nothing applied)" if args.dry_run else "changed"
    print(f"{args.file}: {verb} {len(changes)} thing{'s' if len(changes) != 1 else ''}")
    for line in changes:
        print(f"  {line}")
    return 0


def _operator() -> str:
    """Who ran the command line, for the audit log."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


async def _db(core: PolicyWatch, args: argparse.Namespace) -> int:
    version = await core.store.upgrade()
    print(f"database schema at version {version}")
    return 0


_CORE_COMMANDS = {
    "run": _run,
    "ask": _ask,
    "ingest": _ingest,
    "digest": _digest,
    "watchlists": _watchlists,
    "sources": _sources,
    "export": _export,
    "import": _import,
    "db": _db,
}


# ------------------------------------------------------------------ commands without the core


def _validate(folder: Path) -> int:
    problems = validate_folder(folder)
    for problem in problems:
        print(str(problem), file=sys.stderr)
    if not problems:
        catalog = load_catalog(folder)
        print(
            f"{folder}: {len(catalog.watchlists)} watchlists, {len(catalog.companies)} companies, all valid"
        )
    return 1 if problems else 0


def _match(source: str, folder: Path) -> int:
    catalog = load_catalog(folder)
    matcher = Matcher(catalog, events=EVENT_RULES)
    stories = index_for(catalog)  # stories form across the input, in input order
    encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, not one per line
    write, flush = sys.stdout.write, sys.stdout.flush
    bad = 0
    try:
        stream: IO[str] = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"policywatch match: cannot read --input: {_os_error(exc)}") from None
    with stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                item = Item.from_json(json.loads(line))
            except (ValueError, json.JSONDecodeError) as exc:
                print(f"{source}:{number}: skipped: {exc}", file=sys.stderr)
                bad += 1
                continue
            result = matcher.match(item)
            event = result.event
            placed = stories.assign(
                item, result.companies, result.watchlists, event, concepts=result.concepts
            )
            out = {
                "id": item.id,
                "watchlists": result.watchlists,
                "companies": result.companies,
                "explain": {**result.explain(), "event": event.reason, "story": placed.reason},
                "event_type": event.event_type,
                "story": placed.story_id,
                "answers": placed.answers,
            }
            write(encode(out) + "\n")
            flush()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
