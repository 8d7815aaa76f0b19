"""How catalogue texts compare: folded for matching, and in the order readers of each language
expect for sorting (Chinese by pinyin, as dictionaries and directories order it)."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping, Sequence

#: A title's sort key: one (kind, text, tone) unit per syllable or run of other characters,
#: then the folded title. Other characters (kind 0: Latin letters, digits, signs) come before
#: Chinese syllables (kind 1), as in the pinyin collation of the Unicode CLDR.
SortKey = tuple[tuple[tuple[int, str, int], ...], str]

# Marks what pypinyin leaves as it is (not a Chinese character), so that a run of Latin text
# such as "ba" is never taken for the syllable ba.
_OTHER = "\x00"


def normalise_text(text: str) -> str:
    """Fold width and case so that ＰＭ２.５ finds PM2.5 and Enterprise finds enterprise."""
    return unicodedata.normalize("NFKC", text).casefold()


def title_sort_keys(
    titles: Sequence[str], language: str, known: Mapping[str, SortKey] | None = None
) -> list[SortKey]:
    """The sort keys of titles in a language (``zh`` or ``en``); ``known`` holds the keys of
    Chinese titles worked out before (the checked-catalogue cache keeps them).

    English titles order by their folded text. Chinese ones by the pinyin of each character,
    syllable by syllable, then by tone (1–4, then the neutral tone), then by the folded title
    (the characters' code points) so that homophones still have one order. Pinyin is read
    with pypinyin's phrase dictionary, so that a character with more than one reading gets the
    one of its word: 重庆 is chóngqìng (C), 银行 yínháng (Y), 行政 xíngzhèng (X).
    """
    if language.lower().startswith("en"):
        return [(((0, normalise_text(title), 0),), normalise_text(title)) for title in titles]
    known = known or {}
    missing = [title for title in dict.fromkeys(titles) if title not in known]
    worked_out = dict(zip(missing, chinese_sort_keys(missing), strict=True)) if missing else {}
    return [known[title] if title in known else worked_out[title] for title in titles]


def chinese_sort_keys(titles: Sequence[str]) -> list[SortKey]:
    """The sort keys of Chinese titles, by the pinyin of their characters."""
    # Imported on the first Chinese title sort: its dictionaries take tens of megabytes and
    # most processes never sort by a Chinese title.
    from pypinyin import Style, lazy_pinyin

    def other(text: str) -> str:
        return _OTHER + text

    keys: list[SortKey] = []
    for title in titles:
        units: list[tuple[int, str, int]] = []
        for syllable in lazy_pinyin(title, style=Style.TONE, errors=other):
            if syllable.startswith(_OTHER):
                text = normalise_text(syllable[1:]).strip()
                if text:
                    units.append((0, text, 0))
            else:
                units.append(_syllable_unit(syllable))
        keys.append((tuple(units), normalise_text(title)))
    return keys


def sort_key_from_json(value: object) -> SortKey:
    """A sort key read back from JSON (lists for tuples); ValueError when it is not one."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[1], str):
        units, folded = value
        if isinstance(units, list) and all(
            isinstance(unit, list)
            and len(unit) == 3
            and type(unit[0]) is int
            and isinstance(unit[1], str)
            and type(unit[2]) is int
            for unit in units
        ):
            return (tuple((unit[0], unit[1], unit[2]) for unit in units), folded)
    raise ValueError(f"not a title sort key: {value!r:.80}")


# The tone marks of pinyin (decomposed), by tone; a syllable without one has the neutral tone.
_TONES = {"\u0304": 1, "\u0301": 2, "\u030c": 3, "\u0300": 4}


@functools.cache
def _syllable_unit(syllable: str) -> tuple[int, str, int]:
    """A syllable with its tone mark (zhōng) as (1, its letters, its tone): (1, "zhong", 1).
    Chinese has about 1,300 syllables with tones: each is worked out once."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tone = next((_TONES[mark] for mark in decomposed if mark in _TONES), 5)
    letters = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return (1, letters, tone)
