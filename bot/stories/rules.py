"""The rules and constants of story grouping, as data, in one place.

Both implementations of :class:`~bot.stories.StoryIndex` read them: the
compiled one (``grouping.pyx``, which copies them into C variables and arrays
once, at import) and the pure-Python one (``pygrouping.py``). Changing a
threshold here changes both, so they cannot drift apart; what each value
means, and why it is what it is, is in the module docstring of ``grouping.pyx``.

The sizes marked *compiled size* also size C arrays in ``grouping.pyx``, which
checks at import that they still agree with this module (change both).
"""

from __future__ import annotations

import math

from bot.speakers import SPEAKER_MARK
from bot.stories.events import EVENT_TYPES
from bot.watchlists import MAX_CONTRASTS

# ---------------------------------------------------------------- event types

# Claim/answer kinds: two different ones never share a story.
STANCES = frozenset({"deal_report", "deal_confirmed", "denial", "letter", "hearing"})
_ANSWERABLE_BY_ALL = frozenset(
    {
        "deal_report",
        "deal_confirmed",
        "bill",
        "rule",
        "study",
        "tax_guidance",
        "filing",
        "tariff_action",
        "financial",
        "other",
    }
)
# Which story types an answering item may answer (at ANSWER_THRESHOLD). Any
# other earlier story may be *followed up* by any item (at FOLLOW_THRESHOLD).
# A formal act (a bill filed, a rule, guidance, a tariff action, a filing)
# answers the report that said it was coming: the late confirmation of a
# reported plan, in the words of the document.
_REPORTED_PLAN = frozenset({"deal_report"})
ANSWERABLE: dict[str, frozenset[str]] = {
    "denial": frozenset({"deal_report", "deal_confirmed", "other"}),
    "deal_confirmed": frozenset({"deal_report", "other"}),
    "letter": _ANSWERABLE_BY_ALL,
    "hearing": _ANSWERABLE_BY_ALL,
    "bill": _REPORTED_PLAN,
    "rule": _REPORTED_PLAN,
    "tax_guidance": _REPORTED_PLAN,
    "tariff_action": _REPORTED_PLAN,
    "filing": _REPORTED_PLAN,
}
# Answers that a report of talks is the natural claim for.
CLAIM_ANSWERS = frozenset({"denial", "deal_confirmed"})
# Denials and confirmations come weeks later in other words: they also look
# up recent stories about their companies (LINK_CANDIDATES). Letters and
# hearings do not: with no shared words, a letter would link to whatever its
# company did last (a Ford letter "answering" a Ford Energy report).
ANSWERING_KINDS = CLAIM_ANSWERS
# Follow-ups are replies, reactions, filings and later notices about an act or
# a claim. A report of a new plan starts its own thread, and hearings, studies,
# results, rules, guidance and bills are events of their own: they answer a
# reported plan (the late confirmation, in the words of the document) but
# follow nothing up. A statement is not followed up, nor is a denial (its
# follow-ups concern the claim) or a study. And an item that would follow up a
# story of its own type is another event of that kind (a second tariff action,
# another quarter's results), except a letter: the reply to a letter is a
# letter. On the three tuning sets, the item links these rules now leave out
# had been right 3 times in 22; leaving them out raised threads F1 from
# 0.704/0.474/0.715 to 0.735/0.490/0.743.
NEVER_FOLLOWS = frozenset(
    {"deal_report", "hearing", "study", "financial", "rule", "tax_guidance", "bill"}
)
NEVER_FOLLOWED = frozenset({"other", "denial", "study"})
FOLLOWS_ITS_KIND = frozenset({"letter"})

# ---------------------------------------------------------------- thresholds and weights

# How far back an answer may look for its claim, and how long a quiet story is
# kept (the core forgets stories older than this). Late confirmations come
# weeks to months after the report ("two months after Ford denied it"): on the
# two newer tuning sets a third of the answers came after 21 days, the old
# window, and 45 days raised answer-link recall from 0.63/0.56 to 0.83/0.78.
ANSWER_DAYS = 45
SAME_TYPE_THRESHOLD = 0.4
LOOSE_THRESHOLD = 0.8
# Two items typed ``other`` (statements, reactions, news no cue types): the
# same event told twice is common, and neither side has a type to disagree on.
# With LOOSE_THRESHOLD at 0.8 for them too, pair F1 on the three tuning sets
# fell by 0.015-0.05.
OTHER_PAIR_THRESHOLD = 0.54
MIXED_THRESHOLD = 1.6
ANSWER_THRESHOLD = 0.5
# What any other answer needs: a letter or hearing answering an earlier story,
# a formal act answering the report of it. Such links were wrong more often
# than a denial's or a confirmation's: at ANSWER_THRESHOLD for them too, threads
# F1 on the first seven tuning sets was 0.647 (mean), at this bar 0.664 (stories_extra_a
# 0.499 -> 0.581, the first tuning set 0.754 -> 0.753, none of the others lower).
ACT_ANSWER_THRESHOLD = 0.55
FOLLOW_THRESHOLD = 0.6
# The text term (shared words and concepts, 0..1) an item needs to join a
# story whatever companies, watchlists, type and time say: MIN_JOIN_TEXT on a
# busy stretch (at least BUSY_STORIES stories started in the BUSY_HOURS
# before the item), QUIET_JOIN_TEXT otherwise. Across two neutral types (no
# claim/answer kind on either side: a rule and tax guidance, a tariff action
# and other) on a quiet stretch, with the same set of companies: NEUTRAL_CROSS_TEXT.
MIN_JOIN_TEXT = 0.7
# Two items typed ``other`` on a busy stretch: nothing but their words says
# they report one event (no cue typed either), so the words must nearly all
# agree. Squeezed into a day, stories_extra_c and _h kept 4 and 7 merged pairs
# at MIN_JOIN_TEXT and 2 and 4 at this bar (the other tuning sets unchanged).
BUSY_OTHER_TEXT = 0.9
QUIET_JOIN_TEXT = 0.25
NEUTRAL_CROSS_TEXT = 0.3
BUSY_STORIES = 3
# BUSY_HOURS is also how close a retelling must be (grouping.pyx: an item of
# a story's own type and companies, on a quiet stretch, joins that one report
# without the text bar). On the nine tuning sets that raised threads F1 from
# 0.645 to 0.652 (mean; stories_eval 0.753 -> 0.764, extra_b 0.744 -> 0.761,
# extra_g 0.625 -> 0.650), none lower, with no busy-day merge and no
# same-company merge added. (A first version with a span of its own gained
# less within 3 hours, 0.649, and within 12 merged two events of one company
# on extra_q.)
BUSY_HOURS = 6
# The most one shared stem weighs: a topic word (tokens.topic_words) and a
# lexicon concept; any other word weighs 1/sqrt(live stories holding it).
TOPIC_CAP = 0.2
CONCEPT_CAP = 0.5
# What all shared topic words of a pair weigh together, on a busy stretch and
# on a quiet one: alone they never reach the join text.
TOPIC_TOTAL = 0.3
QUIET_TOPIC_TOTAL = 0.6
# The text term is the shared weight over the smaller bag, at most TEXT_CAP stems.
TEXT_CAP = 4.0
COMPANY_WEIGHT = 0.2
WATCHLIST_WEIGHT = 0.07
DISJOINT_COMPANY_PENALTY = 0.48
RECENCY_WEIGHT = 0.144
CLAIM_BONUS = 0.2
# Link to the earliest story scoring within LINK_TIE_MARGIN of the best: when
# outlets' reports of one claim ended up as several stories, an answer answers
# the first.
LINK_TIE_MARGIN = 0.1
# The companies (Jaccard) an item and an earlier story must share to link. A
# denial or confirmation answering a claim may share fewer when all of its
# companies are the claim's: it speaks for its own party, often one of the
# claim's two ("Xiaomi denies" the report of Ford-Xiaomi talks). That raised
# answer-link recall on the first seven tuning sets from 0.751 to 0.800 (mean)
# and threads F1 from 0.634 to 0.647, no set losing. (Any one company in
# common did as well there, but on stories_extra_r, read first as validation,
# it linked "Ford Energy to produce LFP cells" to a Ford-SK On story: threads
# F1 0.587 with this rule, 0.559 with that one, 0.574 with neither.)
MIN_ANSWER_COMPANY_OVERLAP = 0.55
# What an item naming companies needs to link to an earlier story naming none
# (a bill, a Federal Register notice, a hearing, a commission's report): the
# companies' reactions to an act ("SK On warns the repeal would hit Georgia",
# "Lawmakers warn BYD's Mexico plans..." after the hearing on them) share no
# party with it, so the overlap rule above had refused every such link. Its
# score has no company term, so the bar stands in for one. On the nine tuning
# sets this raised threads F1 from 0.652 to 0.655 (mean; stories_eval 0.764 ->
# 0.767, extra_g 0.650 -> 0.658, extra_k 0.661 -> 0.665, extra_r 0.590 ->
# 0.600), none lower, with 7 of its 8 new links right; at FOLLOW_THRESHOLD
# (0.6) extra_g fell to 0.641 (a letter on 45X claims "following up" an IRS
# notice on returned EVs).
PARTYLESS_LINK_THRESHOLD = 0.7
# A statement on an act: an item no cue types (``other``) and naming no
# company, within STATEMENT_DAYS of the start of an act's story (one of
# STATEMENT_ACTS), follows it up at STATEMENT_THRESHOLD rather than
# FOLLOW_THRESHOLD. Lawmakers' statements on a notice, a bill or a hearing
# come the same day or the next, in their own framing ("Moolenaar on Ottawa's
# EV arrangement: USMCA review must close the back door" after "Canada to let
# in 49,000 Chinese EVs"), sharing few words with it. On the nine tuning sets
# this raised threads F1 from 0.655 to 0.666 (mean; extra_g 0.658 -> 0.675,
# extra_k 0.665 -> 0.695, extra_q 0.572 -> 0.590, extra_r 0.600 -> 0.616),
# none lower, with no busy-day or same-company merge added; 17 of its 20 new
# links were right. For items naming a company too (Ford's recall
# "following up" Ford's price rise citing tariffs) stories_eval and extra_a
# lost; for any earlier story, extra_b and extra_g did.
STATEMENT_DAYS = 3
STATEMENT_THRESHOLD = 0.4
STATEMENT_ACTS = frozenset({"tariff_action", "bill", "rule", "tax_guidance", "hearing", "letter"})
# "No threshold": the pair may not join (or link) at all.
NEVER = -1.0

# ---------------------------------------------------------------- sizes

MAX_POSTING = 64  # compiled size
RETRIEVAL_TOKENS = 10  # compiled size
MAX_CANDIDATES = 10
# Stories found by shared words alone miss a claim answered weeks later in
# other words. A denial or confirmation (ANSWERING_KINDS) that names
# companies also gets up to LINK_CANDIDATES of the most recent stories about
# one of its companies, of the last LINK_SCAN stories.
LINK_CANDIDATES = 5
LINK_SCAN = 200
MIN_SHARED = 1
# A story's words are those of its first SEED_ITEMS items (see grouping.pyx).
SEED_ITEMS = 4
# Words remembered with their stems before the cache is cleared (stems stay).
WORD_CACHE_LIMIT = 200_000
# Bytes (UTF-8) of a word that count; longer runs (never real words) are cut.
WORD_BYTES = 128  # compiled size
# Code points below this are looked up in a table of word breaks; above it
# fold decides.
BOUNDARY_LIMIT = 0x3001  # compiled size
# forget_before renumbers the stems when there are more than COMPACT_STEMS of
# them and more than COMPACT_RATIO times as many as live stories still hold.
COMPACT_STEMS = 100_000
COMPACT_RATIO = 4
# Concepts are stems that no word can be: "~" breaks words.
CONCEPT_MARK = "~"
# Concepts named events.IDENTITY_MARK + a document number ("id:hr3390", from
# EventRules.identities) form one more contrast family, numbered after the
# lexicon's (family numbers start at 1; a 64-bit mask holds 64).
IDENTITY_FAMILY = MAX_CONTRASTS + 1
# Concepts named SPEAKER_MARK + a lexicon concept ("by:party-ford", the title's
# speaker: bot.speakers) form the last family. They weigh nothing and find no
# candidates (a speaker says nothing about which event), they only keep two
# speakers apart: an item that would join a story but for a different speaker
# is a reaction to it (Ford's reply to a committee letter, the chair's
# statement on a Pentagon listing), and follows it up when its score reaches
# REACTION_THRESHOLD and its text the join bar. On the first seven tuning sets this
# cut the stories merging two events of one company from 25 to 19 and raised
# pair F1 by story from 0.622 to 0.631 (mean), threads F1 unchanged on each
# set: the reactions split off are linked back as follow-ups.
SPEAKER_FAMILY = MAX_CONTRASTS + 2
SPEAKER_STEM = CONCEPT_MARK + SPEAKER_MARK
REACTION_THRESHOLD = 0.4

# ---------------------------------------------------------------- rules by type


def join_threshold(item_type: str, story_type: str) -> float:
    """The score an item needs to join a story of ``story_type``, or NEVER."""
    if item_type == story_type and item_type != "other":
        return SAME_TYPE_THRESHOLD
    if item_type == story_type:
        return OTHER_PAIR_THRESHOLD
    if item_type == "other" and story_type != "other":
        # A reaction or statement ("BYD shrugs off the tariff bill") does not
        # join the act it reacts to: it may follow it up, as its own line.
        return NEVER
    if item_type in STANCES and story_type in STANCES:
        return NEVER
    if "other" in (item_type, story_type):
        return LOOSE_THRESHOLD
    if item_type in STANCES or story_type in STANCES:
        return MIXED_THRESHOLD
    return LOOSE_THRESHOLD


def answers(item_type: str, story_type: str) -> bool:
    """Whether linking an item of ``item_type`` to an earlier story of
    ``story_type`` is an answer (a denial of a report) rather than a follow-up."""
    return story_type in ANSWERABLE.get(item_type, ())


def link_threshold(item_type: str, story_type: str) -> float:
    """The score an item needs to link its story to an earlier story of
    ``story_type``: answering it (a denial of a report) or following it up."""
    if answers(item_type, story_type):
        return ANSWER_THRESHOLD if item_type in CLAIM_ANSWERS else ACT_ANSWER_THRESHOLD
    if item_type in NEVER_FOLLOWS or story_type in NEVER_FOLLOWED:
        return NEVER
    if item_type == story_type and item_type not in FOLLOWS_ITS_KIND:
        return NEVER
    return FOLLOW_THRESHOLD


# The rules as tables indexed by event-type code (position in EVENT_TYPES):
# both implementations look them up per candidate story.
TYPE_CODE: dict[str, int] = {name: code for code, name in enumerate(EVENT_TYPES)}
DEAL_REPORT = TYPE_CODE["deal_report"]
OTHER = TYPE_CODE["other"]
JOIN: tuple[tuple[float, ...], ...] = tuple(
    tuple(join_threshold(a, b) for b in EVENT_TYPES) for a in EVENT_TYPES
)
LINK: tuple[tuple[float, ...], ...] = tuple(
    tuple(link_threshold(a, b) for b in EVENT_TYPES) for a in EVENT_TYPES
)
ANSWERS: tuple[tuple[bool, ...], ...] = tuple(
    tuple(answers(a, b) for b in EVENT_TYPES) for a in EVENT_TYPES
)
CLAIM_ANSWER: tuple[bool, ...] = tuple(name in CLAIM_ANSWERS for name in EVENT_TYPES)
STANCE: tuple[bool, ...] = tuple(name in STANCES for name in EVENT_TYPES)
CAN_ANSWER: tuple[bool, ...] = tuple(name in ANSWERING_KINDS for name in EVENT_TYPES)
STATEMENT_ACT: tuple[bool, ...] = tuple(name in STATEMENT_ACTS for name in EVENT_TYPES)
# (A statement's lower bar replaces the follow-up bar: it may not open a link
# the type rules refuse.)
assert all(link_threshold("other", name) == FOLLOW_THRESHOLD for name in STATEMENT_ACTS)
# 1/sqrt(live stories holding a token), capped: rarer than MAX_POSTING or not,
# a very common word is worth little.
INVERSE_ROOT: tuple[float, ...] = (0.0, *(1.0 / math.sqrt(n) for n in range(1, MAX_POSTING + 1)))
