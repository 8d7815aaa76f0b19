"""Properties of the identifier formats: a body with its computed check character is valid, and
changing any one character of a valid code makes it invalid."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import resident_id, uscc

uscc_bodies = st.builds(
    lambda head, region, org: head + region + org,
    st.sampled_from(["91", "92", "93", "12", "52"]),
    st.from_regex(r"[1-6][0-9]{5}", fullmatch=True),
    st.text(alphabet=uscc.CHARSET, min_size=9, max_size=9),
)
birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31))
id_bodies = st.builds(
    lambda region, born, seq: region + born.strftime("%Y%m%d") + seq,
    st.from_regex(r"[1-6][0-9]{5}", fullmatch=True),
    birth_dates,
    st.from_regex(r"[0-9]{3}", fullmatch=True),
)


@settings(max_examples=300)
@given(uscc_bodies, st.integers(0, 17), st.sampled_from(uscc.CHARSET))
def test_a_uscc_is_valid_with_its_check_character_and_not_after_one_change(
    body: str, position: int, replacement: str
) -> None:
    code = body + uscc.check_character(body)
    assert uscc.is_valid(code)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code and changed[2:8].isdigit():
        assert not uscc.is_valid(changed)


@settings(max_examples=300)
@given(id_bodies, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_a_resident_id_is_valid_with_its_check_character_and_not_after_one_change(
    body: str, position: int, replacement: str
) -> None:
    code = body + resident_id.check_character(body)
    assert resident_id.is_valid(code)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        assert not resident_id.is_valid(changed)


@settings(max_examples=200)
@given(st.text(max_size=30))
def test_arbitrary_text_never_crashes_the_checks(text: str) -> None:
    assert uscc.is_valid(text) in (True, False)
    assert resident_id.is_valid(text) in (True, False)
