"""Annual tax credit ratings (纳税信用等级) of the market entities."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from gateway.demo.market_entities import MarketEntity

#: Ratings published in April 2026 evaluate the year 2025.
RATING_YEAR = 2025
RATINGS = ("A", "B", "M", "C", "D")
RATING_WEIGHTS = (22, 50, 14, 10, 4)
#: Score bands of the rating levels (纳税信用管理办法: A ≥ 90, B 70–89, C 40–69, D < 40).
SCORE_BANDS = {"A": (90, 100), "B": (70, 89), "M": (70, 89), "C": (40, 69), "D": (5, 39)}


def tax_authority(entity: MarketEntity) -> str:
    """The competent tax office: 国家税务总局北京市海淀区税务局."""
    return f"国家税务总局{entity.place.office_locality}税务局"


def generate_ratings(rng: random.Random, entities: list[MarketEntity]) -> list[dict[str, Any]]:
    """A rating for most enterprises that existed during the rating year (not for shops)."""
    records: list[dict[str, Any]] = []
    for entity in entities:
        if entity.record["entityType"] == "个体工商户" or not entity.active:
            continue
        if entity.established > dt.date(RATING_YEAR, 12, 31) or rng.random() < 0.08:
            continue
        # Enterprises registered during the year or the one before start at M (新设立企业).
        if entity.established.year >= RATING_YEAR - 1 and rng.random() < 0.8:
            rating = "M"
        else:
            rating = rng.choices(RATINGS, RATING_WEIGHTS)[0]
        low, high = SCORE_BANDS[rating]
        records.append(
            {
                "creditCode": entity.credit_code,
                "taxpayerName": entity.name,
                "ratingYear": RATING_YEAR,
                "rating": rating,
                "score": rng.randint(low, high),
                "regionCode": entity.place.code,
                "taxAuthority": tax_authority(entity),
            }
        )
    return records
