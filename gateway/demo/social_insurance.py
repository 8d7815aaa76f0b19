"""Social-insurance enrolment and contribution records of employees of the market entities."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from gateway.demo.market_entities import MarketEntity
from gateway.demo.people import Person, PersonFactory

INSURANCE_TYPES = ("基本养老保险", "基本医疗保险", "失业保险", "工伤保险")
#: Contribution base limits (CNY per month) by province, 2026.
BASE_LIMITS = {"110000": (7162, 35811), "120000": (4922, 24612), "130000": (4364, 21822)}
DEFAULT_BASE_LIMITS = (4500, 22000)
#: The last month contributions are recorded for (the data's reference date is 2026-11-28).
LAST_MONTH = (2026, 10)


def _month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def _month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def generate_enrolments(
    rng: random.Random, persons: PersonFactory, employers: list[MarketEntity], total: int
) -> tuple[list[dict[str, Any]], list[Person]]:
    """``total`` insured persons working for the employers; also returns the persons."""
    hiring = [e for e in employers if e.active and e.record["entityType"] != "个体工商户"]
    hiring = hiring or employers
    records: list[dict[str, Any]] = []
    people: list[Person] = []
    last = _month_index(*LAST_MONTH)
    for _ in range(total):
        employer = rng.choice(hiring)
        person = persons.person(dt.date(1962, 1, 1), dt.date(2003, 12, 31))
        low, high = BASE_LIMITS.get(employer.place.province, DEFAULT_BASE_LIMITS)
        base = float(round(min(high, max(low, rng.lognormvariate(9.1, 0.45))), 2))
        roll = rng.random()
        if roll < 0.86:
            status, last_paid = "正常参保", last - (1 if rng.random() < 0.1 else 0)
        elif roll < 0.95:
            status, last_paid = "暂停缴费", last - rng.randrange(2, 30)
        else:
            status, last_paid = "终止参保", last - rng.randrange(3, 120)
        # Contributions start at 18 to 26 and have gaps, never more than 600 months in all.
        start = _month_index(person.birth.year + rng.randint(18, 26), rng.randint(1, 12))
        start = min(start, last_paid - rng.randrange(0, 24))
        span = max(1, last_paid - start + 1)
        months = min(600, max(1, round(span * rng.uniform(0.7, 1.0))))
        types = [INSURANCE_TYPES[0], INSURANCE_TYPES[1]]
        optional = zip(INSURANCE_TYPES[2:], (0.85, 0.8), strict=True)
        types += [kind for kind, rate in optional if rng.random() < rate]
        records.append(
            {
                "residentId": person.resident_id,
                "name": person.name,
                "birthDate": person.birth.isoformat(),
                "insuranceTypes": types,
                "regionCode": employer.place.code,
                "employerCreditCode": employer.credit_code,
                "employerName": employer.name,
                "paymentBase": base,
                "monthsPaid": months,
                "lastPaidMonth": _month_text(last_paid),
                "status": status,
                "phone": person.phone,
            }
        )
        people.append(person)
    return records, people
