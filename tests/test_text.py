import json
import random
import string
import unicodedata
from pathlib import Path

from bot.text import fold, fold_phrase, title_key


def test_fold_lowercases_and_unifies_quotes_and_hyphens() -> None:
    folded, positions = fold("Ford’s Joint-Venture “Completely False”")
    assert folded == 'ford\'s joint venture "completely false"'
    assert positions is None  # same length: offsets are the identity


def test_fold_collapses_spaces_and_maps_back_to_original_offsets() -> None:
    text = "Ford  \n Motor Société"
    folded, positions = fold(text)
    assert folded == "ford motor societe"
    assert positions is not None
    start = folded.index("motor")
    assert text[positions[start] : positions[start + 4] + 1] == "Motor"
    assert text[positions[folded.index("societe")]] == "S"


def test_title_key_ignores_case_and_punctuation_but_not_source() -> None:
    a = title_key("Ford denies Xiaomi talks!", "Reuters")
    assert a == title_key("ford DENIES xiaomi talks", "reuters")
    assert a != title_key("Ford denies Xiaomi talks", "Bloomberg")


def test_fold_phrase_matches_item_folding() -> None:
    assert fold_phrase("F-150 Lightning") == fold("the F‑150 Lightning")[0][4:]


# ---------------------------------------------------------------- fold against its old definition

_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'"}
_DQUOTES = {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'}
_SPACES = set("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212/_\u00a0\t\r\n\u2009\u202f")
_IN_PLACE_TABLE = str.maketrans({**_QUOTES, **_DQUOTES, **{ch: " " for ch in _SPACES}})


def _reference_char(ch: str) -> str:
    """One character folded as bot.text did it before issue 19, one character at a time."""
    if ch in _QUOTES:
        return "'"
    if ch in _DQUOTES:
        return '"'
    if ch in _SPACES or ch.isspace():
        return " "
    if "\uac00" <= ch <= "\ud7a3":
        return ch  # since December 2026 (before, a Hangul syllable folded to its first letter)
    lowered = ch.lower()
    if len(lowered) != 1 or not lowered.isascii():
        decomposed = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
        lowered = base[:1] if base else lowered[:1]
    return lowered


def _reference_collapsed(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    positions: list[int] = []
    previous_space = True
    for index, ch in enumerate(text):
        folded = _reference_char(ch)
        if folded == " ":
            if previous_space:
                continue
            previous_space = True
        else:
            previous_space = False
        out.append(folded)
        positions.append(index)
    if out and out[-1] == " ":
        out.pop()
        positions.pop()
    return "".join(out), positions


def _reference_fold(text: str) -> tuple[str, list[int] | None]:
    """fold as it was before issue 19: a per-character Python loop unless the
    text is ASCII once quotes and dashes are folded and has no doubled space.
    Combining marks were kept; fold now drops them, so texts holding one are
    compared with the reference on the text without them (see below)."""
    in_place = text.translate(_IN_PLACE_TABLE)
    if in_place.isascii():
        folded = "".join(
            " " if ch in _SPACES else "'" if ch == "`" else ch.lower() for ch in in_place
        )
        if "  " not in folded:
            return folded, None
    return _reference_collapsed(text)


def _assert_folds_as_before(text: str) -> None:
    folded, positions = fold(text)
    if positions is None:  # every character kept its place: the old fold said so with a list
        positions = list(range(len(text)))
        assert len(folded) == len(text)
    marks = [index for index, ch in enumerate(text) if unicodedata.combining(ch)]
    if not marks:
        old_folded, old_positions = _reference_fold(text)
        if old_positions is None:
            old_positions = list(range(len(text)))
        assert (folded, positions) == (old_folded, old_positions), repr(text)
        return
    # Marks go; the rest folds as the reference collapsed the text without them.
    kept = [index for index, ch in enumerate(text) if not unicodedata.combining(ch)]
    old_folded, old_positions = _reference_collapsed("".join(text[index] for index in kept))
    assert (folded, positions) == (old_folded, [kept[p] for p in old_positions]), repr(text)


# Every kind of character fold treats differently: ASCII letters, digits,
# punctuation and control white space, the quotes, dashes and spaces folded in
# place, accented and other-script letters, letters that fold to ASCII
# punctuation, combining marks, symbols and characters beyond the BMP.
_ALPHABET = (
    string.ascii_letters
    + string.digits
    + "     -/_.,'`$%&\t\n\r\x0b\x0c\x1c\x1f"
    + "\u2018\u2019\u201b\u2032\u2033\u00b4\u201c\u201d\u201e\u00ab\u00bb\ufe31"
    + "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00a0\u2009\u202f\u3000\u2028\u2003"
    + "éÉàüÖçñßøÆİıǅﬁ²½ŉẞΩωЖж¨"
    + "\u0301\u0308\u0327\u20dd"
    + "小米汽车한국ＦＯＲＤ－／＿｀"
    + "€£•·…©™🚗\U0001d400\U0001d7d8\U00010400"
)


def test_fold_equals_the_old_per_character_fold_on_random_text() -> None:
    rng = random.Random(19)
    for _ in range(20000):
        _assert_folds_as_before("".join(rng.choices(_ALPHABET, k=rng.randrange(0, 30))))


def test_fold_equals_the_old_per_character_fold_on_every_character() -> None:
    # Each code point alone, between letters and between spaces, in chunks.
    codes = [c for c in range(0x110000) if c < 0x31000 or c % 97 == 0]
    for start in range(0, len(codes), 64):
        chunk = [chr(c) for c in codes[start : start + 64]]
        _assert_folds_as_before("a".join(chunk))
        _assert_folds_as_before(" " + "  ".join(chunk) + " ")
        for ch in chunk[::8]:
            _assert_folds_as_before(ch)


def test_fold_equals_the_old_per_character_fold_on_real_items() -> None:
    root = Path(__file__).resolve().parent.parent
    texts = []
    for path in (root / "benchmarks/data/devset.jsonl", root / "bot/sample/items.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts += [row["title"], row.get("summary") or "", row.get("source") or ""]
                texts.append(row["title"] + " | " + (row.get("summary") or ""))
    assert sum(not text.isascii() for text in texts) > 50  # curly quotes, dashes, accents
    for text in texts:
        _assert_folds_as_before(text)
        _assert_folds_as_before(text.replace(" ", "  ").replace("’", " — "))


def test_fold_keeps_hangul_syllables_whole() -> None:
    # A syllable decomposes into letters, none of them an accent; keeping only
    # the first folded "사실" (fact) and "수소" (hydrogen) to the same text.
    assert fold("사실 아니다")[0] == "사실 아니다"
    assert fold("사실")[0] != fold("수소")[0]


def test_fold_drops_combining_marks_like_precomposed_accents() -> None:
    text = "Socie\u0301te\u0301 Ge\u0301ne\u0301rale \u0301 stake"
    folded, positions = fold(text)
    assert folded == fold("Société Générale stake")[0] == "societe generale stake"
    assert positions is not None
    assert text[positions[folded.index("generale")]] == "G"
    assert text[positions[folded.index("stake")] :].startswith("stake")
