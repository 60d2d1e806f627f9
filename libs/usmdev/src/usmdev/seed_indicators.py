"""Demo geography and data values for Durban and Ciudad Juárez, posted through the gateway.

Everything is a PUT or an upserting bulk POST with an Idempotency-Key: running it twice
changes nothing.
"""

from __future__ import annotations

from typing import Any

import httpx

from usmdev.geography import box
from usmdev.waiting import retry_while

# Cities reach the indicators service by event (`city.registered`): a fresh stack may need
# a moment before the indicators service knows them.
CITY_WAIT_S = 60.0

DISTRICTS: dict[str, list[tuple[str, str, int]]] = {
    "durban": [
        ("DBN-CENTRAL", "Central", 120_000),
        ("DBN-NORTH", "North", 210_000),
        ("DBN-SOUTH", "South", 180_000),
    ],
    "ciudad-juarez": [
        ("CJ-CENTRO", "Centro", 150_000),
        ("CJ-SURORIENTE", "Suroriente", 320_000),
    ],
}

# Demo boundaries: simple boxes (west, south, east, north) roughly where the districts lie,
# so that reports are assigned a district. Real boundaries come from the city's GeoJSON.
BOXES: dict[str, tuple[float, float, float, float]] = {
    "DBN-CENTRAL": (30.95, -29.88, 31.10, -29.83),
    "DBN-NORTH": (30.95, -29.83, 31.10, -29.70),
    "DBN-SOUTH": (30.85, -30.00, 31.10, -29.88),
    "CJ-CENTRO": (-106.50, 31.70, -106.42, 31.76),
    "CJ-SURORIENTE": (-106.42, 31.58, -106.28, 31.76),
}


# Per district and year: homicides by quarter, then yearly survey and administrative figures.
_YEARLY = {
    "UNEMPLOYED": 0.12,
    "FOOD_INSECURE_HOUSEHOLDS": 0.18,
    "POPULATION_NEAR_CLINIC": 0.7,
    "VOTES_CAST": 0.45,
}


def _wait_for_city(client: httpx.Client, city: str) -> None:
    response = retry_while(
        lambda: client.get(f"/api/v1/indicators/cities/{city}/districts"),
        status=404,
        timeout_s=CITY_WAIT_S,
        what=f"indicators to know {city}",
    )
    if response.status_code != 200:
        raise RuntimeError(f"the indicators service does not know {city}: {response.text}")


def demo_rows(city: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(element: str, district: str, period: str, value: float) -> None:
        rows.append(
            {
                "data_element": element,
                "district_code": district,
                "period": period,
                "value": value,
                "source": "USM demo data",
                "quality": "estimated",
            }
        )

    for index, (district, _, population) in enumerate(DISTRICTS[city]):
        for year in (2024, 2025):
            trend = 1.0 if year == 2024 else 0.9
            add("POPULATION", district, str(year), population)
            for quarter in range(1, 5):
                homicides = round(population / 100_000 * (6 + index * 3 + quarter) * trend)
                add("HOMICIDES", district, f"{year}-Q{quarter}", homicides)
                add("CITIZEN_REPORTS", district, f"{year}-Q{quarter}", 40 + 10 * index + quarter)
            labour_force = round(population * 0.55)
            add("LABOUR_FORCE", district, str(year), labour_force)
            add(
                "UNEMPLOYED",
                district,
                str(year),
                round(labour_force * _YEARLY["UNEMPLOYED"] * trend),
            )
            households = 400
            add("HOUSEHOLDS_SURVEYED", district, str(year), households)
            add(
                "FOOD_INSECURE_HOUSEHOLDS",
                district,
                str(year),
                round(households * _YEARLY["FOOD_INSECURE_HOUSEHOLDS"] * trend),
            )
            add(
                "POPULATION_NEAR_CLINIC",
                district,
                str(year),
                round(population * _YEARLY["POPULATION_NEAR_CLINIC"]),
            )
            voters = round(population * 0.6)
            add("REGISTERED_VOTERS", district, str(year), voters)
            add("VOTES_CAST", district, str(year), round(voters * _YEARLY["VOTES_CAST"]))
            add("STREETLIGHTS", district, str(year), 2_000 + 500 * index)
            add("STREETLIGHTS_WORKING", district, str(year), round((2_000 + 500 * index) * 0.8))
    return rows


# A demo rule per city, added before the values so that loading them raises alerts (and
# appraisals receives `alert.raised`): the quarterly homicide rate above 12 per 100,000.
DEMO_ALERT_RULE: dict[str, Any] = {
    "name": "Quarterly homicide rate above 12 per 100,000",
    "indicator_code": "SDG_16_1_1",
    "kind": "threshold",
    "operator": "above",
    "threshold": 12,
    "period_type": "quarter",
    "severity": "warning",
}


def seed_indicators(client: httpx.Client) -> None:
    """Districts, a demo alert rule and two years of demo data values for each demo city."""
    for city, districts in DISTRICTS.items():
        _wait_for_city(client, city)
        for code, name, population in districts:
            response = client.put(
                f"/api/v1/indicators/cities/{city}/districts/{code}",
                json={"name": name, "population": population, "boundary": box(*BOXES[code])},
            )
            if response.status_code not in (200, 201):
                raise RuntimeError(f"seeding district {code} failed: {response.text}")
        response = client.post(
            f"/api/v1/indicators/cities/{city}/alert-rules",
            json=DEMO_ALERT_RULE,
            headers={"Idempotency-Key": f"seed-alert-rule-{city}-v1"},
        )
        if response.status_code != 201:
            raise RuntimeError(f"seeding the alert rule of {city} failed: {response.text}")
        response = client.post(
            f"/api/v1/indicators/cities/{city}/values",
            json={"rows": demo_rows(city)},
            headers={"Idempotency-Key": f"seed-indicator-values-{city}-v1"},
        )
        if response.status_code != 200:
            raise RuntimeError(f"seeding values of {city} failed: {response.text}")
