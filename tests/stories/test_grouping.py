"""Story grouping and claim/answer links on small hand-written feeds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.core import new_story_id
from bot.models import EventGuess, Item
from bot.stories import Assignment, StoryIndex, classify_event, rules
from bot.stories.tokens import topic_words
from bot.watchlists import load_catalog, shipped_watchlists_dir

# Every test here runs against both implementations (see conftest.py).
pytestmark = pytest.mark.usefixtures("grouping")

T0 = datetime(2026, 1, 31, 8, 0, tzinfo=UTC)


def _item(item_id: str, title: str, hours: float, summary: str = "") -> Item:
    return Item(id=item_id, title=title, summary=summary, published=T0 + timedelta(hours=hours))


def _assign(
    index: StoryIndex,
    item: Item,
    companies: Sequence[str] = ("ford", "xiaomi"),
    watchlists: Sequence[str] = ("chinese-ev-partnerships",),
) -> Assignment:
    return index.assign(item, companies, watchlists, classify_event(item))


CLAIM = _item(
    "c1",
    "Xiaomi and Ford in talks over American car JV, FT says",
    0,
    "The Financial Times says the two companies have discussed building EVs on US soil.",
)
RETELL = _item(
    "c2",
    "Detroit meets Beijing: Ford reportedly sounded out Xiaomi on US-made electric cars",
    2,
    "The FT report says Ford and Xiaomi held early talks about a US joint-venture for EVs.",
)
DENIAL = _item(
    "n1",
    "Ford rejects FT report on Xiaomi talks as “completely false”",
    8,
    "Ford’s top spokesperson posted on X that no such discussions took place.",
)
DENIAL_2 = _item("n2", "Ford: Xiaomi JV story ‘completely false’", 20)


def test_same_event_different_wording_joins() -> None:
    index = StoryIndex()
    first = _assign(index, CLAIM)
    second = _assign(index, RETELL)
    assert first.is_new_story
    assert not second.is_new_story
    assert second.story_id == first.story_id
    assert second.similarity > 0
    assert "joined" in second.reason


def test_denial_is_its_own_story_answering_the_claim() -> None:
    index = StoryIndex()
    claim = _assign(index, CLAIM)
    _assign(index, RETELL)
    denial = _assign(index, DENIAL)
    again = _assign(index, DENIAL_2)
    assert denial.is_new_story
    assert denial.story_id != claim.story_id
    assert denial.answers == claim.story_id
    assert again.story_id == denial.story_id
    assert again.answers == claim.story_id
    story = index.get(denial.story_id)
    assert story is not None
    assert story.event_type == "denial"
    assert story.item_ids == ["n1", "n2"]


def test_same_company_different_event_does_not_merge() -> None:
    index = StoryIndex()
    charges = _item(
        "f1",
        "Ford to take $19.5 billion in charges as it scales back EV plans",
        0,
        "The write-downs cover cancelled electric models and the end of a battery venture.",
    )
    talks = _item(
        "f2",
        "Ford held talks with Xiaomi over a US electric-vehicle joint venture",
        30,
        "People briefed on the discussions say the carmaker looked at building EVs.",
    )
    first = _assign(index, charges, ("ford",), ())
    second = _assign(index, talks)
    assert second.is_new_story
    assert second.story_id != first.story_id
    assert second.answers is None


def test_item_similar_to_two_stories_reports_also_related() -> None:
    index = StoryIndex()
    a = _assign(index, _item("a", "Ford and Xiaomi discussed a US EV joint venture", 0))
    # A second, separate report story about the same pair (created directly so
    # the two stories exist side by side, as after a restart or a late feed).
    index.add_existing(
        "other",
        _item("b", "Ford Xiaomi joint venture talks", 1),
        ["ford", "xiaomi"],
        ["chinese-ev-partnerships"],
        "deal_report",
    )
    third = _assign(index, _item("c", "Ford and Xiaomi discussed US EV joint venture talks", 2))
    assert third.story_id in {a.story_id, "other"}
    assert set(third.also_related) == {a.story_id, "other"} - {third.story_id}


def test_window_expiry() -> None:
    index = StoryIndex(window=timedelta(days=4))
    first = _assign(index, CLAIM)
    late = _item("late", RETELL.title, 24 * 5, RETELL.summary)
    second = _assign(index, late)
    assert second.is_new_story
    assert second.story_id != first.story_id


def test_forget_before_drops_old_stories() -> None:
    index = StoryIndex()
    _assign(index, CLAIM)
    assert len(index) == 1
    assert index.forget_before(T0 + timedelta(days=1)) == 1
    assert len(index) == 0
    fresh = _assign(index, RETELL)
    assert fresh.is_new_story


def test_rebuilt_index_behaves_the_same() -> None:
    feed = [CLAIM, RETELL, DENIAL]
    live = StoryIndex()
    assigned = [(item, _assign(live, item)) for item in feed]
    rebuilt = StoryIndex(new_id=iter(["x1", "x2", "x3"]).__next__)
    for item, assignment in assigned:
        event = classify_event(item)
        rebuilt.add_existing(
            assignment.story_id,
            item,
            ["ford", "xiaomi"],
            ["chinese-ev-partnerships"],
            event.event_type,
            item.published,
            answers=assignment.answers,
        )
    a = _assign(live, DENIAL_2)
    b = _assign(rebuilt, DENIAL_2)
    assert (a.story_id, a.is_new_story, a.answers) == (b.story_id, b.is_new_story, b.answers)
    assert a.similarity == b.similarity


def test_custom_id_generator_and_default_ids() -> None:
    ids = iter(["db-1", "db-2"])
    index = StoryIndex(new_id=lambda: next(ids))
    assert _assign(index, CLAIM).story_id == "db-1"
    default = StoryIndex()
    assert _assign(default, CLAIM).story_id == "s1"


def test_seen_at_used_without_published_time() -> None:
    index = StoryIndex()
    undated = Item(id="u", title=CLAIM.title, summary=CLAIM.summary)
    result = index.assign(undated, ["ford"], [], classify_event(undated), seen_at=T0)
    story = index.get(result.story_id)
    assert story is not None
    assert story.first_seen == T0


def test_core_story_ids_are_long_enough_never_to_repeat() -> None:
    """A repeated id would merge two stories: 50 random bits, readable letters."""
    ids = [new_story_id() for _ in range(100_000)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"s[0-9a-hjkmnp-tv-z]{10}", story_id) for story_id in ids)


def test_answer_links_the_first_of_a_claim_told_as_two_stories() -> None:
    # Two outlets' reports of one claim left as two stories (as on a busy day):
    # the denial answers the claim's first story, and names the other. (The
    # retelling alone scores a shade higher than the claim: the tie goes to the
    # earlier story.)
    index = StoryIndex()
    pieces = (("first", CLAIM), ("second", RETELL))
    for story_id, item in pieces:
        index.add_existing(
            story_id, item, ("ford", "xiaomi"), ("chinese-ev-partnerships",), "deal_report"
        )
    placed = _assign(index, DENIAL)
    assert placed.is_new_story
    assert placed.answers == "first"
    assert placed.also_related == ("second",)


def test_pieces_of_one_event_do_not_make_a_day_busy() -> None:
    # Three reports of the Ford–Xiaomi talks were left as three stories; a
    # fourth retelling hours later still joins on a quiet day's text bar: the
    # pieces of its own event (same type and companies) are not "other news".
    index = StoryIndex()
    third = _item("c3", "Ford, Xiaomi said to discuss an EV joint venture in the US", 3)
    for story_id, item in (("a", CLAIM), ("b", RETELL), ("c", third)):
        index.add_existing(
            story_id, item, ("ford", "xiaomi"), ("chinese-ev-partnerships",), "deal_report"
        )
    later = _item("c4", "Xiaomi, Ford venture talks: FT says the two discussed US-built EVs", 5)
    placed = _assign(index, later)
    assert not placed.is_new_story, placed.reason
    # Three stories of other parties in the same hours do make it busy: an
    # item with the same few words no longer joins.
    busy = StoryIndex()
    for story_id, item in (("a", CLAIM), ("b", RETELL), ("c", third)):
        busy.add_existing(
            story_id, item, ("ford", "xiaomi"), ("chinese-ev-partnerships",), "deal_report"
        )
    for k, title in enumerate(
        ("BYD opens Hungarian plant", "CATL posts record profit", "GM recalls Bolt packs")
    ):
        busy.add_existing(f"o{k}", _item(f"o{k}", title, 4), ("byd",), (), "other")
    assert _assign(busy, later).is_new_story


# Two reports of one write-down in words that share only the lexicon concept
# of charges: the text term is half a concept over four stems, below the quiet
# bar, so only the retelling rule can put them together.
CHARGE = _item("w1", "Ford to book $2.3 billion hit as three-row electric SUV is scrapped", 0)
CHARGE_AGAIN = _item("w2", "Dearborn carmaker takes write-down on cancelled family EV program", 2)
CHARGES = ("charges",)


def _place(index: StoryIndex, item: Item, companies: Sequence[str] = ("ford",)) -> Assignment:
    guess = EventGuess("financial", "financial: test")
    return index.assign(item, companies, (), guess, concepts=CHARGES)


def test_on_a_quiet_stretch_a_retelling_joins_in_other_words() -> None:
    # Same type, exactly the same companies, within BUSY_HOURS of a lone
    # report, sharing a concept: the same event told again.
    index = StoryIndex()
    first = _place(index, CHARGE)
    again = _place(index, CHARGE_AGAIN)
    assert again.story_id == first.story_id, again.reason
    # The words alone do not carry it: later than BUSY_HOURS, with other
    # companies, or of another type, the second report is its own story.
    late = _item("w3", CHARGE_AGAIN.title, rules.BUSY_HOURS + 1)
    for companies, item in ((("ford",), late), (("ford", "catl"), CHARGE_AGAIN)):
        index = StoryIndex()
        first = _place(index, CHARGE)
        assert _place(index, item, companies).is_new_story, (companies, item.published)
    index = StoryIndex()
    _place(index, CHARGE)
    placed = index.assign(
        CHARGE_AGAIN, ("ford",), (), EventGuess("filing", "filing: test"), concepts=CHARGES
    )
    assert placed.is_new_story


def test_a_retelling_needs_a_shared_word_a_lone_report_and_a_quiet_stretch() -> None:
    # Topic words alone are what every item of a topic has: two Ford events
    # with the same boilerplate summary stay apart.
    index = StoryIndex(topic_words=topic_words(load_catalog(shipped_watchlists_dir())))
    summary = "The automaker builds CATL-licensed LFP battery cells in Michigan."
    placed = []
    for k, title in enumerate(("Ford Kentucky workers vote", "Ford Cologne factory cuts")):
        item = _item(f"b{k}", title, k, summary)
        placed.append(index.assign(item, ("ford",), ("catl-licensing",), classify_event(item)))
    assert placed[1].is_new_story, placed[1].reason
    # A story of two reports takes no third in other words: retellings make
    # pairs, never the chain that let one story swallow a day.
    index = StoryIndex()
    first = _place(index, CHARGE)
    _place(index, CHARGE_AGAIN)
    third = _item("w4", "Michigan maker logs impairment on axed seven-seat model", 3)
    placed = _place(index, third)
    assert placed.story_id != first.story_id
    # Three other stories begun in the same hours make the stretch busy.
    index = StoryIndex()
    first = _place(index, CHARGE)
    for k, title in enumerate(
        ("BYD opens Hungarian plant", "CATL posts record profit", "GM recalls Bolt packs")
    ):
        index.add_existing(f"o{k}", _item(f"o{k}", title, 1), ("byd",), (), "other")
    assert _place(index, CHARGE_AGAIN).is_new_story


def test_a_late_answer_in_other_words_finds_its_claim_through_the_companies() -> None:
    # Ten days later the denial shares only the company names with the claim,
    # and its own rarer words (the summary's) crowd those names out of the
    # lookup by words: the claim would not even be a candidate. An item that
    # can answer (a denial, a confirmation) also looks at the recent stories
    # about its companies.
    index = StoryIndex()
    claim = _item("c", "Ford weighs wider CATL licence for Kentucky storage cells, sources say", 0)
    first = _assign(index, claim, ("ford", "catl"), ("catl-licensing",))
    words = [
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
        "foxtrot",
        "golf",
        "hotel",
        "india",
        "juliet",
        "kilo",
        "lima",
    ]
    for n in range(4):
        recall = _item(f"r{n}", f"Ford recalls trim{n} pickups over defect{n}", 1 + n)
        _assign(index, recall, ("ford",), ())
    for n, word in enumerate(words):
        notice = _item(f"n{n}", f"Tariff notice {word} filler{n}", 10 + n)
        _assign(index, notice, (), ("ev-tariffs",))
    denial = _item("d", "CATL denies negotiating new agreement with Ford", 24 * 10, " ".join(words))
    assert classify_event(denial).event_type == "denial"
    placed = _assign(index, denial, ("ford", "catl"), ("catl-licensing",))
    assert placed.is_new_story
    assert placed.answers == first.story_id


def _kinds_linked(first: tuple[str, str], second: tuple[str, str], hours: float = 48) -> bool:
    """Whether an item typed ``second[1]`` links (answers or follows up) the
    story of an earlier item typed ``first[1]``, with the same companies."""
    index = StoryIndex()
    parties, lists = ("ford", "catl"), ("catl-licensing",)
    index.add_existing("earlier", _item("e", first[0], 0), parties, lists, first[1])
    later = _item("l", second[0], hours)
    placed = index.assign(later, parties, lists, EventGuess(second[1], f"{second[1]}: test"))
    return placed.answers == "earlier"


def test_a_reply_to_a_letter_follows_it_up() -> None:
    # A week later: past the grouping window, so a link or nothing.
    assert _kinds_linked(
        ("Lawmakers press Ford on CATL staff at its Marshall battery plant", "letter"),
        ("Ford tells lawmakers CATL staff at its Marshall battery plant are advisers", "letter"),
        hours=24 * 7,
    )


def test_a_report_of_a_new_plan_follows_nothing_up() -> None:
    # The same parties' next move is news of its own, not a follow-up.
    assert not _kinds_linked(
        ("Lawmakers press Ford on CATL staff at its Marshall battery plant", "letter"),
        ("Ford weighs second CATL-licensed line at its Marshall battery plant", "deal_report"),
    )


def test_a_statement_is_not_followed_up() -> None:
    # (A denial or a letter may still answer it.)
    assert not _kinds_linked(
        ("Ford defends CATL licence at its Marshall battery plant", "other"),
        (
            "Ford filing puts cost of CATL licence at its Marshall battery plant at $1 billion",
            "filing",
        ),
    )


def test_a_denial_is_not_followed_up() -> None:
    # Follow-ups of a denied report concern the report (the claim), not the denial.
    assert not _kinds_linked(
        ("Ford denies talks on a CATL licence for its Kentucky battery plant", "denial"),
        (
            "Lawmakers ask Ford about talks on a CATL licence for its Kentucky battery plant",
            "letter",
        ),
    )


def test_a_rule_follows_nothing_up_but_answers_the_report_of_it() -> None:
    # A rule, guidance, a bill or a hearing is an event of its own: after
    # guidance on CATL licences, Treasury's rule on them is the next act, not a
    # follow-up; after a report that the rule is coming, it is the confirmation.
    guidance = ("Treasury guidance on CATL licences at the Marshall battery plant", "tax_guidance")
    rule = ("Treasury rule on CATL licences at the Marshall battery plant", "rule")
    report = ("Treasury weighs rule on CATL licences at the Marshall battery plant", "deal_report")
    assert not _kinds_linked(guidance, rule, hours=24 * 7)
    assert _kinds_linked(report, rule, hours=24 * 7)


def test_an_act_of_the_same_kind_is_another_event() -> None:
    # A second financial report is the next quarter, not a follow-up of the first.
    assert not _kinds_linked(
        ("Ford says CATL royalties at its Marshall battery plant cost $100 million", "financial"),
        ("Ford says CATL royalties at its Marshall battery plant cost $120 million", "financial"),
        hours=24 * 7,
    )


def test_a_late_confirmation_weeks_after_the_report_still_answers_it() -> None:
    # Five weeks later, longer than the old 21-day answer window.
    assert _kinds_linked(
        ("Ford weighs second CATL-licensed line at its Marshall battery plant", "deal_report"),
        ("Ford confirms second CATL-licensed line at its Marshall battery plant", "deal_confirmed"),
        hours=24 * 35,
    )


def _busy_pair_joins(event_type: str) -> bool:
    """Whether two items of ``event_type`` sharing three rare words and three
    topic words (a text term of (3 + 0.3) / 4 = 0.825) join on a busy stretch."""
    index = StoryIndex(topic_words=topic_words(load_catalog(shipped_watchlists_dir())))
    guess = EventGuess(event_type, f"{event_type}: test")
    for n, words in enumerate(["alpha bravo charlie", "delta echo golf", "hotel india kilo"]):
        index.assign(_item(f"b{n}", f"Lima {words} mike", n * 0.1), (), (), guess)
    first = index.assign(
        _item("x", "Zorblat quexing varnish tariff trade battery", 1), (), (), guess
    )
    later = _item("y", "Zorblat quexing varnish tariff trade battery plumbus", 1.2)
    return index.assign(later, (), (), guess).story_id == first.story_id


def test_on_a_busy_stretch_untyped_items_join_only_when_nearly_all_words_agree() -> None:
    # Typed alike, the pair is two reports of one act; typed ``other`` (no cue
    # says what either reports) it stays two lines on a busy day.
    assert _busy_pair_joins("tariff_action")
    assert not _busy_pair_joins("other")


def test_one_partys_denial_answers_a_report_about_two() -> None:
    # "Xiaomi denies" a report of Ford-Xiaomi talks: it speaks for one of the
    # claim's two parties (half the companies in common, below the bar any
    # other link needs).
    index = StoryIndex()
    claim = _assign(index, CLAIM)
    denial = _item("x1", "Xiaomi denies FT report of US joint-venture talks with Ford", 30)
    assert classify_event(denial).event_type == "denial"
    placed = _assign(index, denial, ("xiaomi",))
    assert placed.answers == claim.story_id
    # It must speak for the claim's parties only: with a company of its own
    # beside one of the claim's, or none of them, it answers nothing.
    for companies in (("tesla",), ("tesla", "xiaomi")):
        index = StoryIndex()
        _assign(index, CLAIM)
        other = _item("t1", "Tesla denies FT report of US joint-venture talks", 30)
        assert _assign(index, other, companies).answers is None, companies


def test_one_party_in_common_is_not_enough_to_follow_up() -> None:
    # A letter to one of a deal's two parties is no follow-up of the deal.
    index = StoryIndex()
    deal = _item("d1", "Ford and CATL sign licence for Marshall battery plant cells", 0)
    index.add_existing("deal", deal, ("ford", "catl"), ("catl-licensing",), "deal_confirmed")
    letter = _item("l1", "Lawmakers write to CATL about Marshall battery plant cells licence", 48)
    placed = index.assign(letter, ("catl",), ("catl-licensing",), EventGuess("letter", "letter"))
    assert placed.answers is None


def _reaction_links(act_parties: Sequence[str], title: str) -> bool:
    """Whether SK On's reaction (typed ``other``), two days after a bill
    naming ``act_parties`` and titled "Zorblat quexing varnish plumbus",
    follows the bill up."""
    index = StoryIndex()
    bill = _item("b1", "Zorblat quexing varnish plumbus", 0)
    index.add_existing("bill", bill, act_parties, (), "bill")
    reaction = _item("r1", title, 48)
    placed = index.assign(reaction, ("sk-on",), (), EventGuess("other", "other: test"))
    return placed.answers == "bill"


def test_a_company_reacting_to_an_act_that_names_no_party_follows_it_up() -> None:
    # "SK On warns the 45X repeal would hit Georgia": the bill names no
    # company, so no overlap of companies can be asked for; the words must
    # carry the link, at a bar above FOLLOW_THRESHOLD.
    assert rules.PARTYLESS_LINK_THRESHOLD > rules.FOLLOW_THRESHOLD
    assert _reaction_links((), "Zorblat quexing varnish plumbus threatens Georgia")
    # Half the words in common (a text term of 0.5, plus recency) reach the
    # follow-up bar, with SK On named on both sides, but not this one.
    assert _reaction_links(("sk-on",), "Zorblat quexing gadzook frobnitz")
    assert not _reaction_links((), "Zorblat quexing gadzook frobnitz")
    # An act naming another company is another party's matter, however alike the words.
    assert not _reaction_links(("ford",), "Zorblat quexing varnish plumbus threatens Georgia")


def _statement_links(kind: str, hours: float, companies: Sequence[str] = ()) -> bool:
    """Whether a statement sharing one word of four with a notice (a text
    term of 0.25, plus the shared watchlist and recency: about 0.45) follows
    the notice up, ``hours`` after it."""
    index = StoryIndex()
    lists = ("ev-tariffs",)
    notice = _item("n1", "Zorblat quexing varnish plumbus", 0)
    index.add_existing("notice", notice, (), lists, "tariff_action")
    statement = _item("s1", "Zorblat gadzook frobnitz wibble", hours)
    placed = index.assign(statement, companies, lists, EventGuess(kind, f"{kind}: test"))
    return placed.answers == "notice"


def test_a_statement_on_a_recent_act_follows_it_up_in_other_words() -> None:
    # "Moolenaar on Ottawa's EV arrangement" the day Canada's deal is
    # announced: untyped, naming no company, in words of its own.
    assert rules.STATEMENT_THRESHOLD < rules.FOLLOW_THRESHOLD
    assert _statement_links("other", 30)
    # Later than STATEMENT_DAYS, typed (a letter is an event of its own), or
    # naming a company (whose news may merely cite the act), the follow-up
    # bar holds.
    assert not _statement_links("other", rules.STATEMENT_DAYS * 24 + 12)
    assert not _statement_links("letter", 30)
    assert not _statement_links("other", 30, ("ford",))


def test_a_denial_answers_at_a_lower_bar_than_a_letter_or_an_act() -> None:
    # Letters, hearings and formal acts "answering" an earlier story were
    # wrong more often than denials and confirmations answering a claim.
    row = rules.LINK[rules.TYPE_CODE["deal_report"]]
    claim = rules.TYPE_CODE["deal_report"]
    for kind in ("denial", "deal_confirmed"):
        assert rules.LINK[rules.TYPE_CODE[kind]][claim] == rules.ANSWER_THRESHOLD
    for kind in ("letter", "hearing", "bill", "rule", "tariff_action", "filing"):
        assert rules.LINK[rules.TYPE_CODE[kind]][claim] == rules.ACT_ANSWER_THRESHOLD
    assert rules.ACT_ANSWER_THRESHOLD > rules.ANSWER_THRESHOLD
    assert row[claim] == rules.NEVER  # a report of a plan answers no report
