"""Hourly air-quality observations with the AQI computed per HJ 633-2012."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from gateway.demo.places import Place

BEIJING_TIME = dt.timezone(dt.timedelta(hours=8))
#: The last hour observed (the data's reference date is 2026-11-28).
LAST_HOUR = dt.datetime(2026, 11, 28, 23, 0, tzinfo=BEIJING_TIME)

# HJ 633-2012 table 1: IAQI levels and the concentration breakpoints of each pollutant — 1-hour
# means for SO2, NO2, CO and O3; 24-hour means for PM10 and PM2.5, applied to the hourly value.
IAQI_LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)
BREAKPOINTS: dict[str, tuple[float, ...]] = {
    "SO2": (0, 150, 500, 650, 800),
    "NO2": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "PM10": (0, 50, 150, 250, 350, 420, 500, 600),
    "CO": (0, 5, 10, 35, 60, 90, 120, 150),
    "O3": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "PM2.5": (0, 35, 75, 115, 150, 250, 350, 500),
}
#: Typical late-November PM2.5 level (μg/m³) per province, around which the hours vary.
PM25_LEVEL = {"110000": 38.0, "120000": 52.0, "130000": 68.0}


def iaqi(pollutant: str, concentration: float) -> int:
    """Individual air quality index of one pollutant (HJ 633-2012 formula 1, rounded up)."""
    points = BREAKPOINTS[pollutant]
    for i in range(1, len(points)):
        if concentration <= points[i]:
            low, high = points[i - 1], points[i]
            level_low, level_high = IAQI_LEVELS[i - 1], IAQI_LEVELS[i]
            # IAQI_P = (IAQI_Hi − IAQI_Lo) / (BP_Hi − BP_Lo) × (C_P − BP_Lo) + IAQI_Lo
            value = (level_high - level_low) / (high - low) * (concentration - low) + level_low
            return math.ceil(value)
    return 500


def aqi(concentrations: dict[str, float]) -> tuple[int, str | None]:
    """AQI = max IAQI; the primary pollutant is the one with that IAQI when AQI > 50."""
    indices = {p: iaqi(p, c) for p, c in concentrations.items()}
    value = max(indices.values())
    # HJ 633-2012 §5.2: no primary pollutant is named while the AQI is 50 or less.
    primary = None if value <= 50 else next(p for p, v in indices.items() if v == value)
    return value, primary


def regional_series(rng: random.Random, province: str, hours: int) -> list[float]:
    """PM2.5 background of a province: an autocorrelated walk with a night-time peak."""
    level = math.log(PM25_LEVEL.get(province, 50.0))
    x = level
    series = []
    first = LAST_HOUR - dt.timedelta(hours=hours - 1)
    for h in range(hours):
        x = level + 0.93 * (x - level) + rng.gauss(0, 0.12)
        hour = (first + dt.timedelta(hours=h)).hour
        diurnal = 1 + 0.25 * math.cos((hour - 22) / 24 * 2 * math.pi)
        series.append(math.exp(x) * diurnal)
    return series


def generate_observations(
    rng: random.Random, places: tuple[Place, ...], hours: int, first_station: int
) -> tuple[list[dict[str, Any]], int]:
    """Observations of each station of the places for the hours up to LAST_HOUR; station codes are
    numbered from ``first_station``. Returns the records and the next free station number."""
    if not places:
        return [], first_station
    background = regional_series(rng, places[0].province, hours)
    first = LAST_HOUR - dt.timedelta(hours=hours - 1)
    records: list[dict[str, Any]] = []
    number = first_station
    for place in places:
        for station in place.stations:
            code = f"{number:04d}A"
            number += 1
            local = rng.lognormvariate(0, 0.15)
            # Hebei burns more coal: more sulphur dioxide for the same particulate load.
            coal = 0.09 if place.province == "130000" else 0.05
            for h in range(hours):
                at = first + dt.timedelta(hours=h)
                pm25 = max(2.0, background[h] * local * rng.lognormvariate(0, 0.08))
                sun = math.sin((at.hour - 7) / 10 * math.pi) if 7 <= at.hour <= 17 else 0.0
                daylight = max(0.0, sun)
                values = {
                    "PM2.5": float(round(pm25)),
                    "PM10": float(round(pm25 * rng.uniform(1.25, 1.8) + rng.uniform(5, 20))),
                    "O3": float(
                        round(
                            max(
                                2.0,
                                8 + 50 * daylight * (1 - min(pm25, 200) / 300) + rng.uniform(0, 8),
                            )
                        )
                    ),
                    "NO2": float(
                        round(
                            min(
                                180.0,
                                18
                                + 0.4 * pm25
                                + rng.uniform(0, 15)
                                + (12 if at.hour in (7, 8, 9, 17, 18, 19) else 0),
                            )
                        )
                    ),
                    "SO2": float(round(rng.uniform(2, 6) + pm25 * coal)),
                    "CO": round(0.3 + pm25 * 0.012 * rng.uniform(0.8, 1.2), 1),
                }
                index, primary = aqi(values)
                records.append(
                    {
                        "observationId": f"{place.code}-{code}-{at:%Y%m%d%H}",
                        "stationCode": code,
                        "stationName": station,
                        "regionCode": place.code,
                        "observedAt": at.isoformat(),
                        "aqi": index,
                        "pm25": values["PM2.5"],
                        "pm10": values["PM10"],
                        "o3": values["O3"],
                        "no2": values["NO2"],
                        "so2": values["SO2"],
                        "co": values["CO"],
                        "primaryPollutant": primary,
                    }
                )
    return records, number
