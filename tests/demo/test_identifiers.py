"""Identifiers carry the check characters of their standards, in the generator and in the data."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest

from catalog import resident_id, uscc
from gateway.demo.air_quality import aqi, iaqi
from gateway.demo.identifiers import organisation_check, organisation_code, patent_check

from .conftest import DemoData

USCC_FIELDS = {
    "market-entity-registration": ["creditCode"],
    "tax-credit-rating": ["creditCode"],
    "medical-institutions": ["creditCode"],
    "social-insurance-payment": ["employerCreditCode"],
    "patent-grants": ["patenteeCreditCode"],
    "government-procurement": ["supplierCreditCode"],
}


@pytest.mark.parametrize(("code", "check"), [("M000100Y", "4"), ("MA62K026", "0")])
def test_organisation_code_check_follows_gb_11714(code: str, check: str) -> None:
    # The organisation codes inside the GB 32100 examples 91350100M000100Y43, 91512081MA62K0260E.
    assert organisation_check(code) == check


def test_generated_organisation_codes_fit_a_uscc() -> None:
    rng = random.Random(1)
    for modern in (True, False):
        for _ in range(200):
            code = organisation_code(rng, issued_after_2015=modern)
            assert set(code) <= set(uscc.CHARSET)
            assert code[8] == organisation_check(code[:8])
            assert code.startswith("MA") == modern


def test_patent_check_digit_follows_cnipa() -> None:
    assert patent_check("201710601862") == "3"


@pytest.mark.parametrize(("dataset", "fields"), sorted(USCC_FIELDS.items()))
def test_credit_codes_have_valid_check_characters(
    demo: DemoData, dataset: str, fields: list[str]
) -> None:
    for record in demo.of_dataset(dataset):
        for name in fields:
            code = record[name]
            assert uscc.is_valid(code), code
            # GB 32100-2015: positions 9–17 are the GB 11714 organisation code with its check.
            assert code[16] == organisation_check(code[8:16]), code


def test_credit_codes_name_the_entity_type(demo: DemoData) -> None:
    for record in demo.of_dataset("market-entity-registration"):
        prefix = {"个体工商户": "92", "农民专业合作社": "93"}.get(record["entityType"], "91")
        assert record["creditCode"][:2] == prefix
    for record in demo.of_dataset("medical-institutions"):
        assert record["creditCode"][:2] == {"公立": "12", "民营": "52"}[record["ownership"]]


def test_resident_ids_are_valid_and_match_sex_and_birth(demo: DemoData) -> None:
    ids = [r["legalRepId"] for r in demo.of_dataset("market-entity-registration")]
    ids += [r["ownerId"] for r in demo.of_dataset("real-estate-registration")]
    for record in demo.of_dataset("social-insurance-payment"):
        assert resident_id.birth_date(record["residentId"]) == dt.date.fromisoformat(
            record["birthDate"]
        )
        ids.append(record["residentId"])
    assert ids
    for code in ids:
        assert resident_id.is_valid(code), code
        born = resident_id.birth_date(code)
        assert born is not None and dt.date(1955, 1, 1) <= born <= dt.date(2003, 12, 31), code
    assert {resident_id.is_male(code) for code in ids} == {True, False}


def test_patent_numbers_carry_the_cnipa_check_digit(demo: DemoData) -> None:
    for record in demo.of_dataset("patent-grants"):
        number = record["patentNumber"]
        assert patent_check(number[2:14]) == number[15], number
        kind = {"发明": "1", "实用新型": "2", "外观设计": "3"}[record["patentType"]]
        assert number[6] == kind


def test_unit_numbers_start_with_the_region(demo: DemoData) -> None:
    for record in demo.of_dataset("real-estate-registration"):
        assert record["unitNumber"][:6] == record["regionCode"]


def test_enquiry_phones_carry_the_area_code(demo: DemoData) -> None:
    area = {"11": "010-", "12": "022-", "1301": "0311-", "1306": "0312-", "1310": "0316-"}
    for record in demo.of_dataset("medical-institutions"):
        region = record["regionCode"]
        assert record["phone"].startswith(area.get(region[:2]) or area[region[:4]]), record


@pytest.mark.parametrize(
    ("pollutant", "concentration", "index"),
    [
        ("PM2.5", 35, 50),
        ("PM2.5", 75, 100),
        ("PM2.5", 47, 65),
        ("PM10", 104, 77),
        ("O3", 160, 50),
        ("NO2", 150, 75),
        ("CO", 12, 104),
        ("SO2", 0, 0),
    ],
)
def test_iaqi_follows_the_hj_633_breakpoints(
    pollutant: str, concentration: float, index: int
) -> None:
    assert iaqi(pollutant, concentration) == index


def test_aqi_names_a_primary_pollutant_only_above_50() -> None:
    clean = {"PM2.5": 20, "PM10": 30, "O3": 60, "NO2": 20, "SO2": 5, "CO": 0.4}
    hazy = {"PM2.5": 80, "PM10": 90, "O3": 20, "NO2": 40, "SO2": 5, "CO": 1.0}
    assert aqi(clean) == (30, None)  # PM10's IAQI 30 is the largest
    assert aqi(hazy) == (107, "PM2.5")


def test_observations_carry_the_aqi_of_their_concentrations(demo: DemoData) -> None:
    observations = demo.of_dataset("air-quality-hourly")
    for record in observations:
        values = {
            "PM2.5": record["pm25"],
            "PM10": record["pm10"],
            "O3": record["o3"],
            "NO2": record["no2"],
            "SO2": record["so2"],
            "CO": record["co"],
        }
        assert (record["aqi"], record["primaryPollutant"]) == aqi(values)
    assert max(r["observedAt"] for r in observations) == "2026-11-28T23:00:00+08:00"
    stations = Counter(r["stationCode"] for r in observations)
    assert set(stations.values()) == {72}
