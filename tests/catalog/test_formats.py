"""Identifier and date formats: valid vectors pass, every single-character corruption fails."""

from __future__ import annotations

import pytest

from catalog import resident_id, uscc
from catalog.formats import FORMAT_CHECKER, format_problem

USCC_VECTORS = ("91350100M000100Y43", "91512081MA62K0260E")
RESIDENT_ID_VECTORS = ("11010519491231002X", "440524188001010014")
RESIDENT_ID_CHARSET = "0123456789X"


def single_substitutions(code: str, charset: str) -> list[str]:
    """Every string that differs from ``code`` in exactly one position, over ``charset``."""
    return [code[:i] + c + code[i + 1 :] for i in range(len(code)) for c in charset if c != code[i]]


@pytest.mark.parametrize("code", USCC_VECTORS)
def test_reference_uscc_is_valid(code: str) -> None:
    assert uscc.is_valid(code)
    assert FORMAT_CHECKER.conforms(code, "uscc")
    assert format_problem("uscc", code) is None


@pytest.mark.parametrize("code", RESIDENT_ID_VECTORS)
def test_reference_resident_id_is_valid(code: str) -> None:
    assert resident_id.is_valid(code)
    assert FORMAT_CHECKER.conforms(code, "resident-id")
    assert format_problem("resident-id", code) is None


def test_uscc_weighted_sum_changes_under_every_single_substitution() -> None:
    # Σ changes by w·(b − a); 31 is prime, every weight is non-zero mod 31 and 0 < |b − a| < 31,
    # so the product is never ≡ 0 (mod 31): the check character always notices one changed symbol.
    assert len(uscc.CHARSET) == 31
    for weight in uscc.WEIGHTS:
        assert all((weight * delta) % 31 != 0 for delta in range(1, 31))


def test_resident_id_weighted_sum_changes_under_every_single_substitution() -> None:
    # Σ changes by w·(b − a); 11 is prime, every weight is non-zero mod 11 and 0 < |b − a| ≤ 9.
    for weight in resident_id.WEIGHTS:
        assert all((weight * delta) % 11 != 0 for delta in range(1, 10))
    # The check position maps Σ mod 11 one-to-one onto 11 distinct characters.
    assert len(set(resident_id.CHECK)) == 11


@pytest.mark.parametrize("code", USCC_VECTORS)
def test_every_single_character_corruption_of_a_uscc_is_rejected(code: str) -> None:
    corrupted = single_substitutions(code, uscc.CHARSET)
    assert len(corrupted) == 18 * 30
    accepted = [c for c in corrupted if FORMAT_CHECKER.conforms(c, "uscc")]
    assert accepted == []


@pytest.mark.parametrize("code", RESIDENT_ID_VECTORS)
def test_every_single_character_corruption_of_a_resident_id_is_rejected(code: str) -> None:
    corrupted = single_substitutions(code, RESIDENT_ID_CHARSET)
    assert len(corrupted) == 18 * 10
    accepted = [c for c in corrupted if FORMAT_CHECKER.conforms(c, "resident-id")]
    assert accepted == []


def test_uscc_problem_names_the_check_character() -> None:
    assert format_problem("uscc", "91350100M000100Y44") == "GB 32100-2015 check character"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y4", "18 characters, not 17"),
        ("91350100M000100I43", "character 'I' is not allowed"),
        ("9135A100M000100Y43", "positions 3–8"),
    ],
)
def test_uscc_problem_explains_malformed_codes(code: str, reason: str) -> None:
    problem = format_problem("uscc", code)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("110105194912310021", "GB 11643-1999 check character"),
        ("11010519491331002X", "real date of birth"),
        ("1101051949123100", "18 characters"),
        ("11010519491231002x", "check character 0-9 or X"),
        ("00010519491231002X", "region code"),
    ],
)
def test_resident_id_problem_explains_the_reason(code: str, reason: str) -> None:
    problem = format_problem("resident-id", code)
    assert problem is not None and reason in problem


@pytest.mark.parametrize("code", ["110000", "110108", "130629", "650100", "710000", "820000"])
def test_plausible_region_codes_conform(code: str) -> None:
    assert FORMAT_CHECKER.conforms(code, "region-code")


@pytest.mark.parametrize("code", ["990000", "160000", "000000", "11010", "1101080", "11o108"])
def test_region_code_needs_six_digits_and_a_real_province(code: str) -> None:
    assert not FORMAT_CHECKER.conforms(code, "region-code")


@pytest.mark.parametrize("text", ["2024-02-29", "1949-10-01", "2026-12-31"])
def test_real_dates_conform(text: str) -> None:
    assert FORMAT_CHECKER.conforms(text, "date")


@pytest.mark.parametrize(
    "text", ["2023-02-29", "2026-13-01", "2026-1-01", "2026-01-01T00:00:00Z", "20260101", ""]
)
def test_date_must_be_a_real_rfc3339_full_date(text: str) -> None:
    assert not FORMAT_CHECKER.conforms(text, "date")


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-29T08:00:00+08:00",
        "2026-11-29T00:00:00Z",
        "2026-11-29t00:00:00.125z",
        "1998-12-31T23:59:60Z",
        "1998-12-31T15:59:60-08:00",
    ],
)
def test_rfc3339_date_times_conform(text: str) -> None:
    assert FORMAT_CHECKER.conforms(text, "date-time")


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-29 08:00:00+08:00",
        "2026-11-29T08:00:00",
        "2026-11-29T24:00:00Z",
        "2026-02-30T08:00:00Z",
        "2026-11-29T08:00:00+08:60",
        "1998-12-31T23:58:60Z",
        "2026-11-29T08:00Z",
    ],
)
def test_date_time_needs_a_real_instant_with_an_offset(text: str) -> None:
    assert not FORMAT_CHECKER.conforms(text, "date-time")


def test_year_month_accepts_only_real_months() -> None:
    assert FORMAT_CHECKER.conforms("2026-11", "year-month")
    assert not FORMAT_CHECKER.conforms("2026-13", "year-month")
    assert not FORMAT_CHECKER.conforms("2026-1", "year-month")


@pytest.mark.parametrize("value", [5, None, True, ["x"]])
def test_formats_apply_to_strings_only(value: object) -> None:
    # JSON Schema 2020-12 §7.1: a format constrains instances of its type only (strings here).
    for name in ("uscc", "resident-id", "region-code", "date", "date-time"):
        assert FORMAT_CHECKER.conforms(value, name)
