"""The words story grouping compares, as data: stop words and the stemming rule.

Outlets reword the same event ("Ford held talks with Xiaomi" / "Ford, Xiaomi
discussed US EV venture"), so grouping compares bags of content words rather than
strings. Words are folded like the matcher folds them; stop words and attribution
words ("says", "report", "sources") are dropped because every outlet uses them for
every story; and a light suffix stripper maps "talks"/"talked", "reported"/
"reports" to one stem. It is deliberately crude: consistency matters, not
linguistics.

The rule, applied by :mod:`bot.stories.grouping` (compiled, so that it costs
almost nothing per word; :mod:`bot.stories.pygrouping` where it was not built): a word of at least ``MIN_STEM + 1`` characters that
does not end in a digit or in "ss" loses the first suffix in :data:`SUFFIXES`
that it ends with and that leaves at least ``MIN_STEM`` characters, and takes
that suffix's replacement ("talks" -> "talk"; "licensed", "license",
"licensing" -> "licens"; "batteries" -> "battery"; "dies" -> "die").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.text import fold_phrase

if TYPE_CHECKING:
    from bot.watchlists import Catalog

# Function words (English, and the commonest of Spanish, French and German,
# which outlets in those languages use) plus newsroom boilerplate that carries
# no event identity, and "000": commas break words, so every round number
# ("48,000 Mach-Es", "91,000 Explorers") leaves one that two recalls share.
_STOP_TEXT = """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers him his how i if in into is
    it its itself just me more most my no nor not now of off on once only or other our out
    over own same she should so some such than that the their them then there these they
    this those through to too under until up very was we were what when where which while
    who whom why will with would you your yet per via amid new first next last says said
    say saying report reports reported reportedly reporting source sources people familiar
    matter according told tells tell statement spokesperson week day days today year years
    month months company companies firm firms group plan plans planned planning may might
    still even far much many one two three us u s amp whether 000
    el la los las lo del de y en con por para un una al es se su sus que como mas
    le les des et du au aux une est pour dans sur par qui
    der die das und den dem des ein eine mit fur von zu im auf ist
"""
STOP_WORDS = frozenset(_STOP_TEXT.split() + list("abcdefghijklmnopqrstuvwxyz"))

# (suffix, replacement), tried in this order; the first that fits is used.
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ies", "y"),
    ("ing", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
    ("e", ""),
)
MIN_STEM = 3

# Topic words: they name what a watchlist is about, so on a busy day every item
# of the topic has them ("battery", "tariff", "credit"). They still count as
# shared words, but one weighs at most ``TOPIC_CAP`` (see bot.stories.grouping)
# however few stories hold it, so that two items about different events of one
# topic do not meet on them alone. Lower case, as written (stemmed on load).
_TOPIC_TEXT = """
    ev evs electric vehicle vehicles car cars auto autos automaker automakers carmaker
    carmakers battery batteries cell cells plant plants factory factories chinese china
    beijing american america federal government administration tax taxes credit credits
    tariff tariffs duty duties trade deal deals talks partnership venture licence license
    licensed licensing technology tech committee select house congress lawmakers lawmaker
    senate senator rep chairman chair ranking member republican republicans democrat
    democrats rule rules guidance treasury irs department commerce ustr official
    officials policy market sales price prices billion million percent production
    supply chain security national lfp lithium iron phosphate energy storage
    investment investors shares stock ceo executive manufacturing manufacturer
    trump biden president white
"""
# Common words of news English that are not stop words: on their own they
# tell one event from another as little as topic words do, so they weigh the
# same ("keep", "built", "rate" shared by two items say nothing).
_COMMON_TEXT = """
    add adds added allow allows allowed announce announces announced ask asks asked back
    bar bars barred become becomes begin begins began big bigger biggest bring brings brought
    build builds built buy buys bought call calls called case cases change changes changed
    claim claims claimed clear close closes closed come comes came continue continues cost
    costs cut cuts could decision decide decides decided drop drops dropped early earlier
    end ends ended expect expects expected face faces faced fall falls fell find finds found
    follow follows followed get gets got give gives gave go goes going gone good great grow
    grows grew help helps helped high higher hit hits hold holds include includes included
    including increase increases increased issue issues issued keep keeps kept key large
    late later lead leads led least leave leaves left less let lets limit limits limited
    long look looks looked low lower major make makes made mean means meet meets met move
    moves moved need needs needed number offer offers offered open opens opened part parts
    pay pays paid point points push pushes pushed put puts raise raises raised rate rates
    reach reaches reached receive received remain remains remained require requires required
    rise rises rose run runs set sets show shows showed sign signs signed small start starts
    started stay stays stayed step steps support supports supported take takes took taken
    talk think top turn turns turned use uses used want wants wanted way well win wins won
    work works worked world less plus end line lines mark marks marked hard help time times
    qualify qualifies qualified eligible eligibility rule ruling final plan proposal proposed
    propose proposes action actions effort efforts move order orders term terms level levels
    major minor full part latest recent current future past share shares public private
    business businesses industry industries program programs project projects system systems
    unit units model models product products service services cheap cheaper cost costs
    money cash fund funds funding spend spending value worth total near nearly around
    amid despite against within without while likely possible potential expected
"""
TOPIC_WORDS = frozenset(_TOPIC_TEXT.split() + _COMMON_TEXT.split())


_WORD = re.compile(r"[^\W_]+")


def topic_words(catalog: Catalog) -> frozenset[str]:
    """:data:`TOPIC_WORDS` plus every word of the catalog's phrases: watchlist
    include and require phrases, company names and aliases, and the lexicon.
    Those words define what a watchlist or concept is about, so every item of
    that topic has them; the concept itself (not its words) is the evidence."""
    phrases: list[str] = []
    for watchlist in catalog.watchlists.values():
        phrases += watchlist.include
        phrases += [p for group in watchlist.require for p in group if not p.startswith("@")]
    for company in catalog.companies.values():
        phrases += [company.name, *company.aliases, *company.weak_aliases]
    for concept in catalog.lexicon.values():
        phrases += concept
    words = {w for phrase in phrases for w in _WORD.findall(fold_phrase(phrase))}
    return TOPIC_WORDS | frozenset(w for w in words if w not in STOP_WORDS)
