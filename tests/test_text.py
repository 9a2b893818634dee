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
