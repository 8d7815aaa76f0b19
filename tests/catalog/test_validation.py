"""Record validation (full and projected), filter validation and query-string coercion."""

from __future__ import annotations

from typing import Any

import pytest

from catalog import Catalog, Dataset, ValidationIssue
from catalog.filters import MAX_IN_VALUES
from catalog.validation import RecordValidator


@pytest.fixture
def market(catalog: Catalog) -> Dataset:
    dataset = catalog.get("market-entity-registration")
    assert dataset is not None
    return dataset


@pytest.fixture
def air(catalog: Catalog) -> Dataset:
    dataset = catalog.get("air-quality-hourly")
    assert dataset is not None
    return dataset


def entity(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "creditCode": "91350100M000100Y43",
        "name": "福州闽江科技有限公司",
        "entityType": "有限责任公司",
        "legalRepName": "林晓东",
        "legalRepId": "11010519491231002X",
        "registeredCapital": 500,
        "establishedDate": "2019-06-18",
        "status": "存续",
        "industryCode": "I6510",
        "regionCode": "350100",
        "address": "福州市鼓楼区五四路100号",
        "contactPhone": "13800001234",
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


def paths(issues: list[ValidationIssue]) -> list[str]:
    return [issue.path for issue in issues]


def test_conforming_record_has_no_errors(market: Dataset) -> None:
    assert market.record_errors(entity()) == []
    assert market.record_errors(entity(legalRepId=None, contactPhone=None)) == []


def test_invalid_resident_id_is_named_by_path_and_standard(market: Dataset) -> None:
    issues = market.record_errors(entity(legalRepId="110105194912310021"))
    assert [str(i) for i in issues] == [
        "$.legalRepId: '1101...' is not a valid resident ID (GB 11643-1999 check character)"
    ]


def test_error_messages_do_not_repeat_personal_data(market: Dataset) -> None:
    issues = market.record_errors(entity(legalRepId="110105194912310021", contactPhone="1"))
    assert issues
    assert all("110105194912310021" not in str(i) for i in issues)


def test_invalid_uscc_message_names_gb_32100(market: Dataset) -> None:
    (issue,) = market.record_errors(entity(creditCode="91350100M000100Y44"))
    assert issue == ValidationIssue(
        "$.creditCode",
        "'9135...' is not a valid unified social credit code (GB 32100-2015 check character)",
    )


def test_missing_required_field_is_reported_at_its_own_path(market: Dataset) -> None:
    (issue,) = market.record_errors(entity(name=None))
    assert issue == ValidationIssue("$.name", "required property is missing")


def test_undeclared_field_is_rejected(market: Dataset) -> None:
    (issue,) = market.record_errors(entity(shareholder="张三"))
    assert issue == ValidationIssue("$.shareholder", "not a field of this dataset")


@pytest.mark.parametrize(
    ("changes", "path", "fragment"),
    [
        ({"registeredCapital": "500"}, "$.registeredCapital", "is not of type 'number'"),
        ({"registeredCapital": -1}, "$.registeredCapital", "less than the minimum of 0"),
        ({"status": "营业"}, "$.status", "is not one of"),
        ({"establishedDate": "2019-02-29"}, "$.establishedDate", "is not a valid date"),
        ({"regionCode": "990100"}, "$.regionCode", "is not a valid region code"),
        ({"contactPhone": "12345"}, "$.contactPhone", "does not match"),
    ],
)
def test_nonconforming_value_is_reported_at_its_path(
    market: Dataset, changes: dict[str, Any], path: str, fragment: str
) -> None:
    (issue,) = market.record_errors(entity(**changes))
    assert issue.path == path
    assert fragment in issue.message


def test_record_must_be_an_object(market: Dataset) -> None:
    (issue,) = market.record_errors(["not", "a", "record"])
    assert issue.path == "$"
    assert "is not of type 'object'" in issue.message


def test_nested_paths_use_array_indexes(catalog: Catalog) -> None:
    patents = catalog.get("patent-grants")
    assert patents is not None
    record = {
        "patentNumber": "ZL202310000001.X",
        "title": "一种空气净化装置",
        "patentType": "发明",
        "patenteeName": "福州闽江科技有限公司",
        "patenteeCreditCode": "91350100M000100Y43",
        "inventors": ["林晓东", "王"],
        "grantDate": "2024-05-10",
        "ipcClass": "B01D",
        "regionCode": "350100",
    }
    assert [i.path for i in patents.record_errors(record)] == ["$.inventors[1]"]


def test_projection_requires_only_the_projected_fields(market: Dataset) -> None:
    record = {"creditCode": "91350100M000100Y43", "name": "福州闽江科技有限公司"}
    assert market.record_errors(record, frozenset({"creditCode", "name"})) == []
    assert market.record_errors(record) != []


def test_projection_still_requires_projected_required_fields(market: Dataset) -> None:
    record = {"creditCode": "91350100M000100Y43"}
    issues = market.record_errors(record, frozenset({"creditCode", "name"}))
    assert issues == [ValidationIssue("$.name", "required property is missing")]


def test_field_outside_the_projection_is_an_error(market: Dataset) -> None:
    record = {"creditCode": "91350100M000100Y43", "name": "福州闽江科技有限公司", "status": "存续"}
    issues = market.record_errors(record, frozenset({"creditCode", "name"}))
    assert issues == [
        ValidationIssue("$.status", "field was not requested (outside the projection)")
    ]


def test_projection_still_checks_values(market: Dataset) -> None:
    record = {"creditCode": "91350100M000100Y44"}
    assert paths(market.record_errors(record, frozenset({"creditCode"}))) == ["$.creditCode"]


def test_projection_of_every_field_is_the_full_schema(market: Dataset) -> None:
    every = frozenset(market.fields)
    assert market.record_errors(entity(name=None), every) == market.record_errors(entity(name=None))


def test_projection_validators_are_compiled_once(market: Dataset) -> None:
    validators = RecordValidator(market.record_schema)
    first = validators.validator_for({"creditCode", "name"})
    assert validators.validator_for(frozenset({"name", "creditCode"})) is first
    assert validators.validator_for(["name", "creditCode", "noSuchField"]) is first
    assert validators.validator_for(None) is validators.validator_for(frozenset(market.fields))


def test_conforming_filter_has_no_errors(market: Dataset) -> None:
    conforming = {
        "creditCode": {"in": ["91350100M000100Y43", "91512081MA62K0260E"]},
        "name": {"prefix": "福州"},
        "establishedDate": {"gte": "2019-01-01", "lte": "2019-12-31"},
        "registeredCapital": {"gte": 100},
        "status": {"eq": "存续"},
    }
    assert market.filter_errors(conforming) == []


def test_filter_value_must_satisfy_the_field_format(market: Dataset) -> None:
    issues = market.filter_errors({"creditCode": {"eq": "91350100M000100Y44"}})
    assert issues == [
        ValidationIssue(
            "$.filter.creditCode.eq",
            "'9135...' is not a valid unified social credit code (GB 32100-2015 check character)",
        )
    ]


@pytest.mark.parametrize(
    ("filter_", "path", "fragment"),
    [
        ({"address": {"eq": "福州"}}, "$.filter.address", "filtering on 'address' is not allowed"),
        ({"nmae": {"eq": "x"}}, "$.filter.nmae", "did you mean 'name'?"),
        ({"name": {"gte": "a"}}, "$.filter.name.gte", "(allowed: eq, prefix)"),
        ({"name": {"like": "a"}}, "$.filter.name.like", "unknown operator 'like'"),
        ({"name": "福州"}, "$.filter.name", "must be an object {operator: value}"),
        ({"name": {}}, "$.filter.name", "must be an object {operator: value}"),
        ({"name": {"prefix": ""}}, "$.filter.name.prefix", "non-empty string"),
        ({"name": {"prefix": 5}}, "$.filter.name.prefix", "non-empty string"),
        ({"name": {"prefix": "福" * 101}}, "$.filter.name.prefix", "at most 100 characters"),
        ({"industryCode": {"prefix": "C" * 201}}, "$.filter.industryCode.prefix", "at most 200"),
        ({"name": {"eq": "福\x00州"}}, "$.filter.name.eq", "must not hold NUL"),
        ({"name": {"prefix": "福\x00"}}, "$.filter.name.prefix", "must not hold NUL"),
        ({"creditCode": {"in": []}}, "$.filter.creditCode.in", "non-empty array"),
        ({"creditCode": {"in": "91350100M000100Y43"}}, "$.filter.creditCode.in", "array"),
        ({"establishedDate": {"gte": "2019-13-01"}}, "$.filter.establishedDate.gte", "date"),
        ({"registeredCapital": {"lte": "many"}}, "$.filter.registeredCapital.lte", "'number'"),
        ({"status": {"eq": "营业"}}, "$.filter.status.eq", "is not one of"),
    ],
)
def test_unacceptable_filter_is_reported_at_its_path(
    market: Dataset, filter_: dict[str, Any], path: str, fragment: str
) -> None:
    (issue,) = market.filter_errors(filter_)
    assert issue.path == path
    assert fragment in issue.message


def test_each_bad_in_value_is_reported_by_index(market: Dataset) -> None:
    issues = market.filter_errors(
        {"creditCode": {"in": ["91350100M000100Y43", "bad", "91512081MA62K0260E", 7]}}
    )
    assert paths(issues) == ["$.filter.creditCode.in[1]", "$.filter.creditCode.in[3]"]


def test_in_accepts_at_most_the_limit(market: Dataset) -> None:
    at_limit = {"status": {"in": ["存续"] * MAX_IN_VALUES}}
    over = {"status": {"in": ["存续"] * (MAX_IN_VALUES + 1)}}
    assert market.filter_errors(at_limit) == []
    assert paths(market.filter_errors(over)) == ["$.filter.status.in"]


def test_filter_must_be_an_object(market: Dataset) -> None:
    assert paths(market.filter_errors(["creditCode"])) == ["$.filter"]


def test_every_filter_problem_is_reported(market: Dataset) -> None:
    issues = market.filter_errors({"address": {"eq": "x"}, "name": {"gte": "a", "prefix": ""}})
    assert paths(issues) == ["$.filter.address", "$.filter.name.gte", "$.filter.name.prefix"]


def test_date_time_filter_is_checked_as_rfc3339(air: Dataset) -> None:
    assert air.filter_errors({"observedAt": {"gte": "2026-11-29T08:00:00+08:00"}}) == []
    assert paths(air.filter_errors({"observedAt": {"gte": "2026-11-29 08:00"}})) == [
        "$.filter.observedAt.gte"
    ]


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("aqi", "42", 42),
        ("aqi", "-3", -3),
        ("pm25", "12.5", 12.5),
        ("pm25", "12", 12),
        ("pm25", "1e3", 1000.0),
        ("stationCode", "1001A", "1001A"),
        ("primaryPollutant", "PM2.5", "PM2.5"),
    ],
)
def test_coerce_turns_text_into_the_field_type(
    air: Dataset, field: str, text: str, value: object
) -> None:
    coerced = air.coerce(field, text)
    assert coerced == value
    assert type(coerced) is type(value)


def test_coerce_reads_booleans(catalog: Catalog) -> None:
    medical = catalog.get("medical-institutions")
    assert medical is not None
    assert medical.coerce("medicalInsuranceDesignated", "true") is True
    assert medical.coerce("medicalInsuranceDesignated", "false") is False
    with pytest.raises(ValueError, match=r"'yes' is not a boolean \(true or false\)"):
        medical.coerce("medicalInsuranceDesignated", "yes")


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("aqi", "4.2", "'4.2' is not an integer"),
        ("aqi", "", "'' is not an integer"),
        ("pm25", "abc", "'abc' is not a number"),
        ("pm25", "nan", "'nan' is not a number"),
        ("pm25", "1e999", "'1e999' is out of range"),
        ("noSuchField", "1", "'noSuchField' is not a field of this dataset"),
    ],
)
def test_coerce_rejects_text_that_is_not_of_the_field_type(
    air: Dataset, field: str, text: str, message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        air.coerce(field, text)
    assert str(caught.value) == message
