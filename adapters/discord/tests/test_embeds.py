"""Pure rendering and mapping tests: limits, escaping, colours, custom ids, chat text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest

from adapters.discord.app import SUBCOMMANDS, DiscordAdapter, to_chat_text
from adapters.discord.embeds import (
    ERROR_COLOUR,
    MAX_CUSTOM_ID,
    PRIORITY_COLOURS,
    action_custom_id,
    item_embed,
    message_chars,
    page_custom_id,
    render_pages,
    safe,
)
from adapters.discord.tests.fake_discord import StubCore
from bot.config import Settings
from bot.replies import Action, Reply, ReplyItem, ReplyKind


def _item(n: int, size: int = 20, **extra: object) -> ReplyItem:
    return ReplyItem(
        title=f"{n} " + "T" * size,
        url=f"https://example.com/{n}",
        source="S" * min(size, 300),
        published=datetime(2026, 1, 31, tzinfo=UTC),
        why="W" * size,
        note="N" * size,
        sources=tuple("O" * size for _ in range(4)),
        priority=n % 4,
        **extra,  # type: ignore[arg-type]
    )


def _check_limits(page: list[discord.Embed]) -> None:
    assert 1 <= len(page) <= 10
    assert message_chars(page) <= 6000
    for embed in page:
        data = embed.to_dict()
        assert len(data.get("title", "")) <= 256
        assert len(data.get("description", "")) <= 4096
        assert len(data.get("footer", {}).get("text", "")) <= 2048
        assert len(data.get("author", {}).get("name", "")) <= 256
        assert len(data.get("fields", [])) <= 25
        assert all(len(f["value"]) <= 1024 for f in data.get("fields", []))


def test_huge_reply_is_split_into_valid_pages_without_losing_items() -> None:
    reply = Reply(
        title="X" * 1000,
        lines=(*("L" * 900 for _ in range(12)), "Z" * 9000),
        items=tuple(_item(n, size=3000) for n in range(13)),
        sections=(("Section @everyone " * 30, tuple(_item(100 + n, 50) for n in range(9))),),
        footer="F" * 5000,
    )
    pages = render_pages(reply)
    for page in pages:
        _check_limits(page)
    titles = [e.title or "" for page in pages for e in page]
    for n in [*range(13), *range(100, 109)]:
        assert sum(t.startswith(f"{n} ") for t in titles) == 1
    assert pages[-1][-1].footer.text is not None
    assert pages[-1][-1].footer.text.endswith(f"Page {len(pages)}/{len(pages)}")


def test_small_reply_is_one_page_with_header_first() -> None:
    reply = Reply(title="Ford", lines=("one", "two"), items=(_item(1),), footer="from sample")
    [page] = render_pages(reply)
    assert page[0].title == "Ford"
    assert page[0].description == "one\ntwo"
    assert page[1].title is not None and page[1].title.startswith("1 ")
    assert page[-1].footer.text == "from sample"


def test_item_embed_shows_link_outlets_date_note_and_priority_colour() -> None:
    item = ReplyItem(
        title="Ford denies BYD talks",
        url="https://example.com/a",
        source="Reuters",
        published=datetime(2026, 1, 31, tzinfo=UTC),
        why='matched "Ford" in title',
        note="denied by Ford, 31 Jan",
        sources=("AP", "Bloomberg"),
        priority=3,
        story_id="s12",
    )
    embed = item_embed(item, "EV tariffs")
    assert embed.url == "https://example.com/a"
    assert embed.colour is not None and embed.colour.value == PRIORITY_COLOURS[3]
    description = embed.description or ""
    assert description.startswith("Reuters, AP, Bloomberg · 31 Jan 2026\n")
    assert "denied by Ford, 31 Jan" in description
    assert "matched" not in description  # reasons for debugging stay out
    assert "Thread: `story s12`" in description
    assert embed.author.name == "EV tariffs"


@pytest.mark.parametrize("priority", [-1, 0, 1, 2, 3, 9])
def test_priority_colour_is_clamped(priority: int) -> None:
    embed = item_embed(ReplyItem(title="x", priority=priority))
    assert embed.colour is not None and embed.colour.value in PRIORITY_COLOURS


def test_non_http_urls_are_not_links() -> None:
    assert item_embed(ReplyItem(title="x", url="javascript:alert(1)")).url is None


def test_error_header_is_red() -> None:
    [page] = render_pages(Reply(title="Unknown command", kind=ReplyKind.ERROR))
    assert page[0].colour is not None and page[0].colour.value == ERROR_COLOUR


@pytest.mark.parametrize(
    "text",
    ["@everyone", "@here", "<@&123>", "<@&123456789012345678>", "<@!123456789012345678>", "<#123>"],
)
def test_mentions_are_neutralised(text: str) -> None:
    out = safe(f"hi {text} there")
    assert text not in out
    assert "\u200b" in out


def test_markdown_escaped_but_core_code_hints_kept() -> None:
    [page] = render_pages(Reply(title="*x*", lines=("Try `subscribe ev_tariffs` _now_",)))
    assert page[0].title == "\\*x\\*"
    assert page[0].description == "Try `subscribe ev_tariffs` \\_now\\_"


def test_custom_ids_fit_and_long_commands_go_by_reference(tmp_path: Path) -> None:
    assert page_custom_id(2, "company ford") == ("pw:p:2:company ford", False)
    long_command = "search " + "tariff " * 40
    custom_id, by_ref = action_custom_id(long_command)
    assert by_ref and len(custom_id) <= MAX_CUSTOM_ID

    adapter = DiscordAdapter(StubCore(), Settings(data_dir=tmp_path))  # type: ignore[arg-type]
    reply = Reply(title="x", actions=(Action("Search more", long_command),))
    view = adapter.build_view(reply, "topic x", 0, 1)
    assert view is not None
    [button] = view.children
    assert isinstance(button, discord.ui.DynamicItem)
    encoded = button.custom_id.removeprefix("pw:a:")
    assert adapter.resolve_command(encoded) == " ".join(long_command.split())
    assert adapter.resolve_command("#unknown") is None


def test_error_replies_get_no_buttons(tmp_path: Path) -> None:
    adapter = DiscordAdapter(StubCore(), Settings(data_dir=tmp_path))  # type: ignore[arg-type]
    reply = Reply(title="no", kind=ReplyKind.ERROR, actions=(Action("x", "help"),))
    assert adapter.build_view(reply, "x", 0, 3) is None


def _spec(name: str, admin: bool = False) -> object:
    return next(s for s in SUBCOMMANDS if s.name == name and s.admin is admin)


@pytest.mark.parametrize(
    ("name", "admin", "values", "text"),
    [
        ("company", False, {"name": "ford", "days": 7}, "company ford 7d"),
        ("company", False, {"name": "Ford Motor"}, 'company "Ford Motor"'),
        ("company", False, {"name": "Ford 2025", "days": 7}, 'company "Ford 2025" 7d'),
        ("company", False, {"name": "alias ford"}, 'company "alias ford"'),
        ("topic", False, {"watchlist": "ev-tariffs", "days": None}, "topic ev-tariffs"),
        ("search", False, {"query": "section\n 301"}, "search section 301"),
        (
            "subscribe",
            False,
            {
                "watchlist": "ev-tariffs",
                "cadence": "daily",
                "time": "09:00",
                "timezone": "Europe/Berlin",
            },
            "subscribe ev-tariffs daily at 09:00 tz Europe/Berlin",
        ),
        (
            "subscribe",
            False,
            {"watchlist": "all", "cadence": "weekly", "day": "mon"},
            "subscribe all weekly on mon",
        ),
        (
            "watchlist-add",
            True,
            {"watchlist": "ev-tariffs", "term": "section 232"},
            'watchlist add ev-tariffs "section 232"',
        ),
        ("company-alias", True, {"name": "ford", "alias": "FoMoCo"}, "company alias ford FoMoCo"),
        ("audit", True, {}, "audit"),
        ("help", False, {}, "help"),
    ],
)
def test_one_table_maps_subcommands_to_chat_text(
    name: str, admin: bool, values: dict[str, object], text: str
) -> None:
    assert to_chat_text(_spec(name, admin), values) == text  # type: ignore[arg-type]


def test_user_and_admin_option_names() -> None:
    user = {o.name for s in SUBCOMMANDS if not s.admin for o in s.options}
    assert {"name", "watchlist", "query", "days", "cadence", "time", "timezone"} <= user
    assert all(s.private for s in SUBCOMMANDS if s.admin)
    completes = {(s.name, o.name) for s in SUBCOMMANDS for o in s.options if o.complete}
    assert ("company", "name") in completes and ("topic", "watchlist") in completes
