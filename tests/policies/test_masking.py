"""Masking: golden values per method and sensitivity, pseudonyms per client, whole records."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from catalog import Catalog
from policies import (
    METHODS,
    SENSITIVITIES,
    FieldPlan,
    compile_masker,
    derive_pseudonym_key,
    mask_record,
    mask_value,
)

SECRET = b"jjj-gateway test secret 32 bytes"
KEY = derive_pseudonym_key(SECRET, "c-government")

# (method, sensitivity, value) → masked value, as docs/reference.md writes them.
GOLDEN: list[tuple[str, str, Any, Any]] = [
    ("partial", "phone", "13812341234", "138****1234"),
    ("partial", "phone", "+86 138-1234-1234", "138****1234"),
    ("partial", "phone", "010-62751234", "*******1234"),
    ("partial", "phone", "12345", "*****"),
    ("partial", "resident-id", "11010519491231002X", "110105********002X"),
    ("partial", "resident-id", "11010519491231002x", "110105********002X"),
    ("partial", "resident-id", "110105491231002", "110105******002"),
    ("partial", "resident-id", "1101051949", "**********"),
    ("partial", "bank-account", "6222021234567890123", "622202*********0123"),
    ("partial", "bank-account", "6222 0212 3456 7890", "622202******7890"),
    ("partial", "bank-account", "12345", "*****"),
    ("partial", "person-name", "张三", "张*"),
    ("partial", "person-name", "王小明", "王**"),
    ("partial", "person-name", "欧阳修文", "欧阳**"),
    ("partial", "person-name", "诸葛亮", "诸葛*"),
    ("partial", "person-name", "欧阳", "欧*"),
    ("partial", "person-name", "张", "*"),
    ("partial", "person-name", ["李四", "司马相如"], ["李*", "司马**"]),
    ("partial", "address", "北京市海淀区中关村大街27号", "北京市海淀区"),
    ("partial", "address", "河北省石家庄市长安区中山东路1号", "河北省石家庄市长安区"),
    ("partial", "address", "天津市滨海新区第三大街", "天津市滨海新区"),
    ("partial", "address", "河北省雄安新区容城县奥威路", "河北省雄安新区"),
    ("partial", "address", "河北省保定市容城县金台大街", "河北省保定市容城县"),
    ("partial", "address", "河北省廊坊市大厂回族自治县华安路", "河北省廊坊市大厂回族自治县"),
    # No district in sight: only the coarser part that is surely administrative is kept.
    ("partial", "address", "河北省保定市涿州市华阳路", "河北省保定市"),
    ("partial", "address", "北京市中关村小区3号楼", "北京市"),
    ("partial", "address", "北京市望京西园三区", "北京市"),
    ("partial", "address", "中关村大街27号", None),
    ("generalise", "address", "北京市朝阳区建国路88号", "北京市朝阳区"),
    ("partial", "birth-date", "1985-03-02", "1985"),
    ("generalise", "birth-date", "1985-03-02", "1985"),
    ("generalise", "birth-date", "1985-03-02T00:00:00+08:00", "1985"),
    ("generalise", "birth-date", "not a date", None),
    ("partial", "free-text", "患者于2026年就诊", None),
    ("hmac", "resident-id", "11010519491231002X", "p:aae272c73f5c04d1"),
    ("redact", "phone", "13812341234", None),
    ("redact", "person-name", ["李四", "王五"], None),
    ("drop", "bank-account", "6222021234567890123", None),
    ("partial", "phone", None, None),
    ("partial", "phone", True, None),
    ("partial", "phone", 13812341234, "138****1234"),
]


@pytest.mark.parametrize(("method", "sensitivity", "value", "expected"), GOLDEN)
def test_masking_golden_values(method: str, sensitivity: str, value: Any, expected: Any) -> None:
    assert mask_value(value, method, sensitivity, pseudonym_key=KEY) == expected


@pytest.mark.parametrize("sensitivity", SENSITIVITIES)
@pytest.mark.parametrize("method", ["partial", "hmac", "redact", "drop"])
def test_every_method_masks_every_sensitivity(method: str, sensitivity: str) -> None:
    raw = "11010519491231002X"
    assert mask_value(raw, method, sensitivity, pseudonym_key=KEY) != raw


@pytest.mark.parametrize("sensitivity", ["person-name", "resident-id", "phone", "bank-account"])
def test_generalise_is_refused_where_it_means_nothing(sensitivity: str) -> None:
    with pytest.raises(ValueError, match=f"{sensitivity} cannot be generalised"):
        mask_value("x", "generalise", sensitivity, pseudonym_key=KEY)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown masking method 'scramble'"):
        mask_value("x", "scramble", "phone", pseudonym_key=KEY)
    assert set(METHODS) == {"partial", "hmac", "generalise", "redact", "drop"}


def test_hmac_pseudonym_is_hmac_sha256_of_the_value_under_the_client_key() -> None:
    value = "11010519491231002X"
    expected = "p:" + hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()[:16]
    assert mask_value(value, "hmac", "resident-id", pseudonym_key=KEY) == expected


def test_hmac_pseudonym_is_stable_per_client() -> None:
    again = derive_pseudonym_key(SECRET, "c-government")
    value = "11010519491231002X"
    assert mask_value(value, "hmac", "resident-id", pseudonym_key=again) == mask_value(
        value, "hmac", "resident-id", pseudonym_key=KEY
    )


def test_hmac_pseudonym_differs_across_clients() -> None:
    other = derive_pseudonym_key(SECRET, "c-regulator")
    value = "11010519491231002X"
    mine = mask_value(value, "hmac", "resident-id", pseudonym_key=KEY)
    theirs = mask_value(value, "hmac", "resident-id", pseudonym_key=other)
    assert theirs == "p:2efab40f73ae13ad" and mine != theirs


def test_hmac_pseudonym_differs_across_server_secrets() -> None:
    other = derive_pseudonym_key(b"another deployment secret 32 byt", "c-government")
    assert other != KEY


def test_pseudonym_keys_must_be_long_enough() -> None:
    with pytest.raises(ValueError, match="server secret must be at least 16 bytes"):
        derive_pseudonym_key(b"short", "c-government")
    with pytest.raises(ValueError, match="pseudonym key must be at least 16 bytes"):
        mask_value("x", "hmac", "phone", pseudonym_key=b"")


def test_hmac_masks_lists_element_wise() -> None:
    masked = mask_value(["张三", "李四"], "hmac", "person-name", pseudonym_key=KEY)
    assert masked == [
        mask_value("张三", "hmac", "person-name", pseudonym_key=KEY),
        mask_value("李四", "hmac", "person-name", pseudonym_key=KEY),
    ]


SOCIAL_INSURANCE_RECORD = {
    "residentId": "11010519491231002X",
    "name": "欧阳明华",
    "birthDate": "1949-12-31",
    "insuranceTypes": ["基本养老保险", "基本医疗保险"],
    "regionCode": "110108",
    "employerCreditCode": "91350100M000100Y43",
    "employerName": "北京海淀科技有限公司",
    "paymentBase": 12000,
    "monthsPaid": 180,
    "lastPaidMonth": "2026-10",
    "status": "正常参保",
    "phone": "13912345678",
}


def government_plan() -> FieldPlan:
    return FieldPlan(
        clear=(
            "insuranceTypes",
            "regionCode",
            "employerCreditCode",
            "employerName",
            "paymentBase",
            "monthsPaid",
            "lastPaidMonth",
            "status",
        ),
        masked={
            "residentId": "hmac",
            "name": "partial",
            "birthDate": "generalise",
            "phone": "partial",
        },
        dropped=(),
        order=tuple(SOCIAL_INSURANCE_RECORD),
    )


def test_compiled_masker_masks_a_whole_record(catalog: Catalog) -> None:
    masker = compile_masker(
        government_plan(), catalog.datasets["social-insurance-payment"], pseudonym_key=KEY
    )
    masked = masker(SOCIAL_INSURANCE_RECORD)
    assert list(masked) == list(SOCIAL_INSURANCE_RECORD)
    assert masked["residentId"] == mask_value(
        "11010519491231002X", "hmac", "resident-id", pseudonym_key=KEY
    )
    assert masked["name"] == "欧阳**"
    assert masked["birthDate"] == "1949"
    assert masked["phone"] == "139****5678"
    assert masked["monthsPaid"] == 180 and masked["employerName"] == "北京海淀科技有限公司"


def test_masked_record_reveals_no_hidden_part_in_any_field(catalog: Catalog) -> None:
    masker = compile_masker(
        government_plan(), catalog.datasets["social-insurance-payment"], pseudonym_key=KEY
    )
    text = repr(masker(SOCIAL_INSURANCE_RECORD))
    for hidden in ("11010519491231002X", "19491231", "1949-12-31", "明华", "1234"):
        assert hidden not in text


def test_masker_copies_only_the_plan_fields(catalog: Catalog) -> None:
    plan = government_plan().project(["regionCode", "name"])
    masker = compile_masker(plan, catalog.datasets["social-insurance-payment"], pseudonym_key=KEY)
    record = {**SOCIAL_INSURANCE_RECORD, "internalNote": "不应外传"}
    assert masker(record) == {"name": "欧阳**", "regionCode": "110108"}


def test_masker_leaves_out_fields_the_node_did_not_send(catalog: Catalog) -> None:
    masker = compile_masker(
        government_plan(), catalog.datasets["social-insurance-payment"], pseudonym_key=KEY
    )
    assert masker({"regionCode": "110108", "phone": None}) == {
        "regionCode": "110108",
        "phone": None,
    }


def test_dropped_and_drop_method_fields_never_appear() -> None:
    plan = FieldPlan(clear=("a",), masked={"b": "drop", "c": "redact"}, dropped=("d",))
    record = {"a": 1, "b": "13812341234", "c": "secret", "d": "11010519491231002X"}
    assert mask_record(record, plan, {"b": "phone", "c": "free-text"}, pseudonym_key=KEY) == {
        "a": 1,
        "c": None,
    }


def test_inventor_lists_are_masked_element_wise(catalog: Catalog) -> None:
    plan = FieldPlan(clear=("patentNumber",), masked={"inventors": "partial"}, dropped=())
    masker = compile_masker(plan, catalog.datasets["patent-grants"], pseudonym_key=KEY)
    record = {"patentNumber": "ZL202310123456.7", "inventors": ["张伟", "上官婉儿"]}
    assert masker(record) == {"patentNumber": "ZL202310123456.7", "inventors": ["张*", "上官**"]}


def test_partial_mask_needs_the_field_sensitivity() -> None:
    plan = FieldPlan(clear=(), masked={"note": "partial"}, dropped=())
    with pytest.raises(ValueError, match="needs the field's sensitivity"):
        mask_record({"note": "x"}, plan, {}, pseudonym_key=KEY)
