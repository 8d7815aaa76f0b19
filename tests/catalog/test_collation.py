"""How catalogue texts compare: folding for matching, pinyin order for Chinese titles."""

from __future__ import annotations

from catalog.collation import normalise_text, title_sort_keys


def test_width_and_case_are_folded() -> None:
    assert normalise_text("ＰＭ２.５ Enterprise") == "pm2.5 enterprise"


def test_a_polyphone_is_read_as_in_its_word() -> None:
    (chongqing, _), (bank, _), (line, _) = title_sort_keys(["重庆", "银行", "行政"], "zh")
    assert chongqing == ((1, "chong", 2), (1, "qing", 4))
    assert bank == ((1, "yin", 2), (1, "hang", 2))
    assert line == ((1, "xing", 2), (1, "zheng", 4))


def test_the_neutral_tone_comes_after_the_four_tones() -> None:
    (units, _) = title_sort_keys(["桌子"], "zh")[0]
    assert units == ((1, "zhuo", 1), (1, "zi", 5))


def test_other_characters_come_before_chinese_and_are_folded() -> None:
    keys = title_sort_keys(["阿里", "ＰＭ２.５ 监测", "2024 年报"], "zh")
    assert keys[1][0][0] == (0, "pm2.5", 0)
    assert sorted(range(3), key=lambda i: keys[i]) == [2, 1, 0]


def test_latin_text_is_never_read_as_a_syllable() -> None:
    (units, _) = title_sort_keys(["ba 八"], "zh")[0]
    assert units == ((0, "ba", 0), (1, "ba", 1))


def test_english_titles_compare_by_their_folded_text() -> None:
    keys = title_sort_keys(["Tax credit", "air quality", "Ｂus routes"], "en")
    assert sorted(range(3), key=lambda i: keys[i]) == [1, 2, 0]


def test_u_with_diaeresis_keeps_its_letter_and_follows_u() -> None:
    (green, _), (road, _) = title_sort_keys(["绿地", "路网"], "zh")
    assert green[0] == (1, "lü", 4) and road[0] == (1, "lu", 4)
    assert road < green
