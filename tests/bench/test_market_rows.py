"""The benchmark's market-entity rows: valid records with unique, valid codes, the same per seed."""

from __future__ import annotations

import pytest

from bench.market_rows import CHUNK, FIELDS, MarketRows
from catalog import load_catalog
from catalog import uscc as uscc_rules
from gateway.demo.identifiers import organisation_check


@pytest.fixture(scope="module")
def rows() -> MarketRows:
    return MarketRows(2026)


def _record(line: str) -> dict[str, object]:
    values = line.rstrip("\n").split("\t")
    assert len(values) == len(FIELDS)
    record: dict[str, object] = {
        name: value for name, value in zip(FIELDS, values, strict=True) if value != "\\N"
    }
    record["registeredCapital"] = float(str(record["registeredCapital"]))
    return record


def test_every_row_is_a_valid_market_entity_record(rows: MarketRows) -> None:
    dataset = load_catalog().datasets["market-entity-registration"]
    for line in rows.lines(3, 5000):
        record = _record(line)
        assert dataset.record_errors(record) == [], record
        code = str(record["creditCode"])
        # GB 32100: positions 3–8 are the region of registration.
        assert code[2:8] == record["regionCode"]


def test_credit_codes_carry_both_check_characters(rows: MarketRows) -> None:
    for line in rows.lines(0, 5000):
        code = line.split("\t", 1)[0]
        assert uscc_rules.is_valid(code), code
        assert code[16] == organisation_check(code[8:16]), code


def test_credit_codes_are_unique_across_chunks(rows: MarketRows) -> None:
    codes = [line.split("\t", 1)[0] for chunk in (0, 1, 57) for line in rows.lines(chunk, 20_000)]
    assert len(set(codes)) == len(codes)


def test_the_same_seed_gives_the_same_rows_whatever_the_count() -> None:
    first, again = MarketRows(7), MarketRows(7)
    assert list(first.lines(2, 300)) == list(again.lines(2, 1000))[:300]
    assert list(first.lines(2, 300)) != list(MarketRows(8).lines(2, 300))


def test_a_chunk_holds_at_most_chunk_rows(rows: MarketRows) -> None:
    with pytest.raises(ValueError, match="chunk"):
        next(rows.lines(0, CHUNK + 1))
