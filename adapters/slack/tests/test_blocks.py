"""Block Kit rendering: escaping, limits and pagination, on hand-built replies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from adapters.slack.app import slack_to_plain
from adapters.slack.blocks import (
    MAX_BLOCKS,
    MAX_SECTION_TEXT,
    escape,
    escape_clip,
    item_text,
    page_value,
    parse_page_value,
    render,
    safe_url,
)
from bot.replies import Action, Reply, ReplyItem, ReplyKind


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every text Slack would parse in a message, in order."""
    out: list[str] = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                out.append(element["text"])
    return out


def _item(n: int, **kw: Any) -> ReplyItem:
    return ReplyItem(
        title=kw.pop("title", f"Item {n}"),
        url=kw.pop("url", f"https://example.com/{n}"),
        source=kw.pop("source", "Reuters"),
        published=kw.pop("published", datetime(2026, 1, 31, tzinfo=UTC)),
        **kw,
    )


def test_headline_cannot_ping_or_break_links() -> None:
    evil = ReplyItem(
        title="<!channel> Ford & <@U123> | <https://evil.example|click>",
        url="https://ok.example/a|b>c",
        source="<!here>",
        why='matched "Ford" in title',
        note="denied by Ford, 31 Jan",
    )
    message = render(Reply(title="Ford", items=(evil,), lines=("<!everyone> hi",)), command="x")
    everything = json.dumps(message.blocks) + message.text
    for raw in ("<!channel>", "<@U123>", "<!here>", "<!everyone>", "<https://evil"):
        assert raw not in everything
    text = item_text(evil)
    assert "&lt;!channel&gt; Ford &amp; &lt;@U123&gt;" in text
    # exactly one link: ours, with the | in the label and URL neutralised
    assert text.count("<") == 1 and text.count(">") == 1
    assert "<https://ok.example/a%7Cb%3Ec|" in text
    assert "¦" in text
    assert "denied by Ford, 31 Jan" in text
    assert "Reuters" not in text and "&lt;!here&gt;" in text
    assert "31 Jan 2026" not in text  # undated item
    assert "undated" in text


def test_fallback_text_is_escaped() -> None:
    message = render(Reply(title="<!channel> alert", lines=("<@U1>",)))
    assert "<" not in message.text and "&lt;!channel&gt;" in message.text


def test_item_layout() -> None:
    item = _item(1, why='matched "Ford" in title', note="3 sources", story_id="st-9", priority=3)
    text = item_text(item)
    first, second, *rest = text.split("\n")
    assert first.startswith(":rotating_light: *<https://example.com/1|Item 1>*")
    assert "3 sources" in first
    assert second == "Reuters · 31 Jan 2026 · story `st-9`"
    assert rest[-1] == '_why: matched "Ford" in title_'


def test_unsafe_urls_are_not_linked() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("slack://open") is None
    assert safe_url("https://a.example/?x=1&y=2") == "https://a.example/?x=1&amp;y=2"
    assert safe_url("https://a.example/" + "x" * 5000) is None
    assert "<" not in item_text(_item(1, url="javascript:alert(1)"))


def test_escape_clip_never_splits_entities() -> None:
    assert escape("a<b>&") == "a&lt;b&gt;&amp;"
    clipped = escape_clip("&" * 100, 12)
    assert clipped == "&amp;&amp;…" and len(clipped) <= 12
    assert escape_clip("short", 10) == "short"


def test_pagination_whole_items_and_more_button() -> None:
    reply = Reply(title="Ford", items=tuple(_item(n) for n in range(1, 24)))
    first = render(reply, command="company ford", per_page=10)
    assert (first.page, first.pages) == (1, 3)
    sections = [b for b in first.blocks if b["type"] == "section"]
    assert len(sections) == 10
    more = first.blocks[-1]["elements"][-1]
    assert more["action_id"] == "pw_more"
    assert more["value"] == "page:2:company ford"
    assert parse_page_value(more["value"]) == (2, "company ford")
    last = render(reply, command="company ford", page=3, per_page=10)
    assert [b for b in last.blocks if b["type"] == "section"][-1]["text"]["text"].startswith(
        "*<https://example.com/23|"
    )
    assert "pw_more" not in json.dumps(last.blocks)
    assert "(3/3)" in last.blocks[0]["text"]["text"]


def test_page_values() -> None:
    assert parse_page_value("company ford") is None
    assert parse_page_value("page:x:company") is None
    assert parse_page_value("page:0:company") is None
    assert parse_page_value("page:3:search a:b") == (3, "search a:b")
    assert page_value(2, "x" * 3000) is None


def test_limits_hold_for_huge_replies() -> None:
    huge = "W<&>" * 2000
    items = tuple(_item(n, title=huge, why=huge, note=huge, source=huge) for n in range(200))
    sections = (("Section <one>", items[:100]), ("Section two", items[100:]))
    reply = Reply(
        title="T" * 500,
        lines=tuple(huge for _ in range(40)),
        sections=sections,
        footer=huge,
        actions=tuple(Action(label=huge, command=f"cmd {n}") for n in range(40)),
    )
    for per_page in (10, 1000):
        for page in (1, 2, 50):
            message = render(reply, command="digest", page=page, per_page=per_page)
            assert len(message.blocks) <= MAX_BLOCKS
            assert all(len(t) <= MAX_SECTION_TEXT for t in _texts(message.blocks))
            assert len(message.blocks[0]["text"]["text"]) <= 150
            for block in message.blocks:
                if block["type"] == "actions":
                    assert len(block["elements"]) <= 25
                    ids = [e["action_id"] for e in block["elements"]]
                    assert len(ids) == len(set(ids))
                    assert all(len(e["text"]["text"]) <= 75 for e in block["elements"])
    # every item shows on exactly one page
    first = render(reply, command="digest", per_page=10)
    seen = sum(
        len([b for b in render(reply, command="digest", page=p).blocks if "why:" in str(b)])
        for p in range(1, first.pages + 1)
    )
    assert seen == 200


def test_digest_without_command_says_what_was_left_out() -> None:
    reply = Reply(title="Digest", sections=(("EV tariffs", tuple(_item(n) for n in range(60))),))
    message = render(reply, command=None, per_page=40)
    notes = [b for b in message.blocks if b["type"] == "context"]
    assert notes and "20 more not shown" in notes[-1]["elements"][0]["text"]
    assert not any(b["type"] == "actions" for b in message.blocks)
    assert message.blocks[1]["text"]["text"] == "*EV tariffs*"


def test_actions_become_buttons() -> None:
    reply = Reply(
        title="Help",
        actions=(Action("Subscribe", "subscribe ev-tariffs daily", "primary"), Action("Mute", "x")),
    )
    buttons = render(reply).blocks[-1]["elements"]
    assert [b["value"] for b in buttons] == ["subscribe ev-tariffs daily", "x"]
    assert [b["action_id"] for b in buttons] == ["pw_action:0", "pw_action:1"]
    assert buttons[0]["style"] == "primary" and "style" not in buttons[1]


def test_errors_and_help_are_ephemeral() -> None:
    assert render(Reply(title="Unknown command", kind=ReplyKind.ERROR)).ephemeral
    assert render(Reply(title="Not allowed", kind=ReplyKind.DENIED)).ephemeral
    assert render(Reply(title="Help", ephemeral=True)).ephemeral
    assert not render(Reply(title="Ford")).ephemeral


def test_slack_markup_back_to_chat_text() -> None:
    assert slack_to_plain("<@UBOT> company ford", "UBOT") == "company ford"
    assert slack_to_plain("<@UBOT|policywatch>  company   ford 7d", "UBOT") == "company ford 7d"
    assert slack_to_plain("search <http://x.example|x.example> AT&amp;T", "UBOT") == (
        "search x.example AT&T"
    )
    assert slack_to_plain("search &lt;b&gt;") == "search <b>"
    assert slack_to_plain("<@UBOT>\ncompany  ford\n\nsearch LFP ", "UBOT") == (
        "company ford\nsearch LFP"
    )
