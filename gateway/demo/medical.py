"""Medical institutions: district hospitals, maternal and child health, community and township
health centres, and private hospitals."""

from __future__ import annotations

import random
from typing import Any

from gateway.demo.identifiers import organisation_code, uscc
from gateway.demo.market_entities import TRADE_FIRST, TRADE_SECOND
from gateway.demo.places import Place, allocate

#: Bed ranges by grade.
BEDS = {
    "三级甲等": (800, 2500),
    "三级乙等": (500, 1000),
    "二级甲等": (200, 600),
    "二级乙等": (100, 300),
    "一级": (20, 99),
    "未定级": (0, 40),
}
SPECIALTIES = (
    "口腔医院",
    "眼科医院",
    "骨科医院",
    "妇产医院",
    "康复医院",
    "肿瘤医院",
    "中西医结合医院",
)


def _public_hospitals(place: Place) -> list[tuple[str, str, tuple[str, ...]]]:
    """The public institutions of a place, largest first: name, category, possible grades."""
    hospital = f"{place.office_locality}医院" if not place.county else f"{place.zh}人民医院"
    own: list[tuple[str, str, tuple[str, ...]]] = [
        (hospital, "综合医院", ("三级甲等", "三级乙等", "二级甲等")),
        (f"{place.office_locality}中医医院", "中医医院", ("三级甲等", "二级甲等")),
        (f"{place.office_locality}妇幼保健院", "妇幼保健院", ("三级甲等", "二级甲等", "二级乙等")),
    ]
    if place.county:
        own += [
            (f"{place.zh}{town}卫生院", "乡镇卫生院", ("一级", "未定级")) for town in place.towns
        ]
    else:
        own += [
            (
                f"{place.office_locality}{street.removesuffix('大街')}社区卫生服务中心",
                "社区卫生服务中心",
                ("一级", "未定级"),
            )
            for street in place.streets
        ]
    return own


def generate_institutions(
    rng: random.Random, places: tuple[Place, ...], total: int, codes: set[str]
) -> list[dict[str, Any]]:
    """``total`` institutions over the places (at least three each), names unique."""
    names: set[str] = set()
    records: list[dict[str, Any]] = []
    for place, count in zip(places, allocate(total, places, minimum=3), strict=True):
        private = max(1, count // 4)
        chosen = _public_hospitals(place)[: count - private]
        public = len(chosen)
        while len(chosen) < count:
            trade = rng.choice(TRADE_FIRST) + rng.choice(TRADE_SECOND)
            specialty = rng.choice((*SPECIALTIES, "医院"))
            name = f"{place.top_short}{trade}{specialty}"
            if name in names:
                continue
            names.add(name)
            category = "综合医院" if specialty == "医院" else "专科医院"
            chosen.append((name, category, ("二级乙等", "一级", "未定级")))
        for i, (name, category, grades) in enumerate(chosen):
            names.add(name)
            owned_publicly = i < public
            grade = rng.choice(grades)
            low, high = BEDS[grade]
            # GB 32100-2015 appendix: 1 2 = institution (机构编制 · 事业单位),
            # 5 2 = private non-enterprise unit (民政 · 民办非企业单位).
            while True:
                code = uscc(
                    "12" if owned_publicly else "52",
                    place.code,
                    organisation_code(rng, issued_after_2015=not owned_publicly),
                )
                if code not in codes:
                    codes.add(code)
                    break
            street = rng.choice(place.streets)
            records.append(
                {
                    "creditCode": code,
                    "name": name,
                    "category": category,
                    "grade": grade,
                    "ownership": "公立" if owned_publicly else "民营",
                    "beds": rng.randint(low, high),
                    "regionCode": place.code,
                    "address": f"{place.locality}{street}{rng.randrange(1, 300)}号",
                    "phone": place.phone(rng),
                    "medicalInsuranceDesignated": owned_publicly or rng.random() < 0.7,
                }
            )
    return records
