"""Real-estate register entries: property units, right holders, locations and mortgages."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from gateway.demo.people import Person, PersonFactory, random_date
from gateway.demo.places import Place, allocate

USES = ("住宅", "商业", "办公", "工业", "车位")
USE_WEIGHTS = (70, 8, 8, 4, 10)
#: Floor-area ranges (m²) and mortgage likelihood per use.
AREAS = {
    "住宅": (38.0, 180.0),
    "商业": (25.0, 600.0),
    "办公": (60.0, 900.0),
    "工业": (300.0, 6000.0),
    "车位": (12.0, 38.0),
}
MORTGAGE_RATE = {"住宅": 0.4, "商业": 0.3, "办公": 0.3, "工业": 0.25, "车位": 0.05}
#: Unified real-estate registration (不动产统一登记) began on 2015-03-01.
FIRST_REGISTRATION = dt.date(2015, 3, 1)
LAST_REGISTRATION = dt.date(2026, 11, 26)
VILLAGES = (
    "东关",
    "西关",
    "南街",
    "北街",
    "王庄",
    "李庄",
    "张庄",
    "刘庄",
    "东河",
    "西营",
    "前屯",
    "后屯",
)


def unit_number(rng: random.Random, place: Place, use: str, rural: bool, used: set[str]) -> str:
    """A 28-character property unit number (GB/T 37346): region, cadastral zone and sub-zone,
    parcel feature code and number, fixture feature code and number."""
    # Parcel feature code: G state-owned land, J collective land; B construction-land use right,
    # C homestead use right (宅基地使用权).
    land = "JC" if rural else "GB"
    while True:
        building = rng.randrange(1, 60)
        room = 0 if use == "车位" else rng.randrange(1, 33) * 100 + rng.randrange(1, 7)
        code = (
            f"{place.code}{rng.randrange(1, 21):03d}{rng.randrange(1, 31):03d}{land}"
            f"{rng.randrange(1, 400):05d}F{building:04d}{room:04d}"
        )
        if code not in used:
            used.add(code)
            return code


def location(rng: random.Random, place: Place, use: str, rural: bool) -> str:
    """Where the unit lies: 北京市海淀区学院路38号院3号楼2单元1102 or, for a village home,
    河北省雄安新区雄县昝岗镇王庄村17号."""
    if rural and place.towns:
        village = rng.choice(VILLAGES)
        return f"{place.locality}{rng.choice(place.towns)}{village}村{rng.randrange(1, 300)}号"
    base = f"{place.locality}{rng.choice(place.streets)}{rng.randrange(1, 300)}号"
    floor = rng.randrange(1, 28)
    if use == "住宅":
        building, entrance = rng.randrange(1, 20), rng.randrange(1, 6)
        return f"{base}院{building}号楼{entrance}单元{floor}{rng.randrange(1, 5):02d}"
    if use in ("商业", "办公"):
        return f"{base}{rng.randrange(1, 5)}幢{floor}层{floor}{rng.randrange(1, 30):02d}"
    if use == "工业":
        return f"{base}{rng.randrange(1, 9)}号厂房"
    return f"{base}地下车库B{rng.randrange(1, 4)}-{rng.randrange(1, 900):03d}号车位"


def generate_units(
    rng: random.Random,
    places: tuple[Place, ...],
    total: int,
    persons: PersonFactory,
    insured: list[Person],
) -> list[dict[str, Any]]:
    """``total`` register entries over the places; a quarter of the holders are insured persons."""
    units: set[str] = set()
    certificates: set[str] = set()
    records: list[dict[str, Any]] = []
    for place, count in zip(places, allocate(total, places), strict=True):
        for _ in range(count):
            use = rng.choices(USES, USE_WEIGHTS)[0]
            registered = random_date(rng, FIRST_REGISTRATION, LAST_REGISTRATION)
            # Holders were at least 20 when the unit was registered.
            born_to = min(dt.date(registered.year - 20, 12, 31), dt.date(2000, 12, 31))
            owner = rng.choice(insured) if insured and rng.random() < 0.25 else None
            if owner is None or owner.birth > born_to:
                owner = persons.person(dt.date(1955, 1, 1), born_to)
            while True:
                certificate = (
                    f"{place.province_abbreviation}（{registered.year}）{place.certificate_place}"
                    f"不动产权第{rng.randrange(1, 10**7):07d}号"
                )
                if certificate not in certificates:
                    certificates.add(certificate)
                    break
            low, high = AREAS[use]
            # Homes on collective homestead land only in the counties' villages.
            rural = place.county and use == "住宅" and rng.random() < 0.3
            records.append(
                {
                    "unitNumber": unit_number(rng, place, use, rural, units),
                    "certificateNumber": certificate,
                    "ownerName": owner.name,
                    "ownerId": owner.resident_id,
                    "location": location(rng, place, use, rural),
                    "floorArea": round(rng.uniform(low, high), 2),
                    "use": use,
                    "registeredOn": registered.isoformat(),
                    "mortgaged": rng.random() < MORTGAGE_RATE[use],
                    "regionCode": place.code,
                }
            )
    return records
