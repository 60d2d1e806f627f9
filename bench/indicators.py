"""Issue 4's figures: a synthetic city of 250 districts, 120 indicators and 60 months.

The indicators service runs in this process against its own scratch database on the
stack's PostgreSQL (`usm_indicators_bench`), called over ASGI with an internal token: the
figures are the service's own work, without the loopback HTTP hop and without the stack's
running indicators service consuming the bench's `values.updated` (its recomputes would
compete for the same two cores). Nothing is published: the scratch outbox is never relayed.

- bulk ingest: every value through `POST /values` in 10,000-row requests (validation, then
  the COPY fast path and the upsert), beside plain COPYs of the same rows into tables
  defined as `data_values` (same columns, defaults, primary key and index; it has no
  constraint or trigger besides), in asyncpg's binary format and in text format, each
  batch right after the service's (the same load on the shared CPUs for both): the
  faster format is the baseline;
- full recompute: the recompute command's path (`usm_indicators.recompute`, `run`) on
  every month, quarter and year with data (85 periods): every indicator for every district
  and the city computed set-wise in SQL with the index and kept, alert rules, one
  `aggregates.published` per period; then the recompute one new month causes (the month,
  its quarter and year), as after a bulk load;
- incremental: one new value posted, then read back through the indicator endpoint;
- district read: the indicator for one district and month with its trend (p99 of 200).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid
from decimal import Decimal
from typing import Any

import httpx

from bench.report import Figure
from usm_indicators.catalogue.repository import CatalogueRepository
from usm_indicators.computed.service import human_security_index
from usm_indicators.config import IndicatorsSettings
from usm_indicators.main import create_app
from usm_indicators.models import District, city_directory
from usm_indicators.recompute.__main__ import run as run_recompute
from usm_indicators.recompute.service import recompute, with_enclosing
from usm_indicators.values.validation import RECORD_COLUMNS
from usmdev.catalog import SERVICE_SPECS
from usmdev.events import city_registered
from usmdev.stack import Stack, migrate
from usmkit.auth import Principal, mint_internal_token
from usmkit.periods import parse_period
from usmkit.runtime import ServiceRuntime
from usmkit.settings import DEVELOPMENT_SECRET

CITY = "benchville"
DISTRICTS = [f"D{number:03d}" for number in range(1, 251)]
MONTHS = [f"{2022 + index // 12}-{index % 12 + 1:02d}" for index in range(60)]
INDICATORS = 120
CHUNK = 10_000
READS = 200
DATABASE = "usm_indicators_bench"


def _amount(element: str, district_index: int, month_index: int) -> int:
    if element == "POPULATION":
        return 20_000 + 10 * district_index
    # Whole numbers from 5 to 94: valid for counts, measures and percentages alike.
    return 5 + (district_index * 7 + month_index * 3 + len(element)) % 90


def _rows(elements: list[str]) -> list[tuple[str, int, str, int, int]]:
    return [
        (element, index, district, month, _amount(element, index, month))
        for element in elements
        for index, district in enumerate(DISTRICTS)
        for month in range(len(MONTHS))
    ]


async def _set_up(runtime: ServiceRuntime) -> list[str]:
    """The city, its districts and 120 active indicators; returns the data element codes."""
    async with runtime.database.transaction() as session:
        await city_directory.record(session, city_registered(CITY))
        session.add_all(
            District(id=uuid.uuid4(), city=CITY, code=code, name=f"District {code}")
            for code in DISTRICTS
        )
        catalogue = CatalogueRepository(session)
        elements = [element.code for element in await catalogue.data_elements()]
        platform = await catalogue.list_for_city(CITY, None, active=True)
        counted = [element for element in elements if element != "POPULATION"]
        for number in range(INDICATORS - len(platform)):
            await catalogue.upsert_local(
                city=CITY,
                code=f"BENCH_{number:03d}",
                values={
                    "name_en": f"Bench indicator {number}",
                    "name_es": f"Indicador {number}",
                    "definition": "Synthetic.",
                    "dimension": ("economic", "food", "health", "personal")[number % 4],
                    "unit": "per 1000 population",
                    "direction": "lower_is_better",
                    "numerator": f"#{{{counted[number % len(counted)]}}}",
                    "denominator": "#{POPULATION}",
                    "multiplier": Decimal(1000),
                    "goalpost_min": Decimal(0),
                    "goalpost_max": Decimal(10),
                    "standard": None,
                    "sdmx_series": None,
                    "sensitivity": "normal",
                    "is_active": True,
                },
            )
    return elements


class _RawCopy:
    """Plain COPYs of the same rows, batch by batch, into tables defined as `data_values`
    (columns, defaults, primary key and index), in asyncpg's binary format and in text
    format (the one the service sends). Each batch is copied right after the service
    ingested it, so both see the same load on the shared CPUs; the faster format is the
    baseline."""

    FORMATS = ("binary", "text")

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.seconds = dict.fromkeys(self.FORMATS, 0.0)
        self.count = 0

    async def create(self) -> None:
        for name in self.FORMATS:
            await self.connection.execute(
                f"CREATE TABLE bench_raw_{name} "
                "(LIKE data_values INCLUDING DEFAULTS INCLUDING INDEXES)"
            )

    async def drop(self) -> None:
        for name in self.FORMATS:
            await self.connection.execute(f"DROP TABLE IF EXISTS bench_raw_{name}")

    async def copy(self, rows: list[tuple[str, int, str, int, int]]) -> None:
        records = [
            (CITY, element, district, MONTHS[month], "", "", "", Decimal(amount), None, "verified")
            for element, _, district, month, amount in rows
        ]
        started = time.perf_counter()
        await self.connection.copy_records_to_table(
            "bench_raw_binary", records=records, columns=list(RECORD_COLUMNS)
        )
        self.seconds["binary"] += time.perf_counter() - started
        started = time.perf_counter()
        # The plainest text encoding (none of these fields needs an escape), timed with
        # the COPY as asyncpg's binary encoding is; a memoryview is written straight out
        # (a file would be read in a worker thread), as the service does.
        data = "".join(
            f"{city}\t{code}\t{district}\t{period}\t\t\t\t{value}\t\\N\t{quality}\n"
            for city, code, district, period, _, _, _, value, _, quality in records
        ).encode()
        await self.connection.copy_to_table(
            "bench_raw_text", source=memoryview(data), columns=list(RECORD_COLUMNS)
        )
        self.seconds["text"] += time.perf_counter() - started
        self.count += len(records)

    def rates(self) -> dict[str, float]:
        return {name: self.count / seconds for name, seconds in self.seconds.items()}


async def _run(url: str) -> list[Figure]:
    settings = IndicatorsSettings(
        database_url=url, consumers_enabled=False, environment="development"
    )
    app = create_app(settings)
    runtime: ServiceRuntime = app.state.runtime
    analyst = Principal(
        subject="bench",
        roles=["city_analyst"],
        scopes=["indicators:read", "indicators:write"],
        cities=[CITY],
    )
    token = mint_internal_token(
        analyst, audience="indicators", secret=DEVELOPMENT_SECRET, ttl_s=3600
    )
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://bench",
        headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
        timeout=600,
    )
    try:
        elements = await _set_up(runtime)
        rows = _rows(elements)
        base = f"/api/v1/indicators/cities/{CITY}"
        bodies = [
            json.dumps(
                {
                    "rows": [
                        {
                            "data_element": element,
                            "district_code": district,
                            "period": MONTHS[month],
                            "value": amount,
                        }
                        for element, _, district, month, amount in rows[start : start + CHUNK]
                    ]
                }
            ).encode()
            for start in range(0, len(rows), CHUNK)
        ]
        ingest_seconds = 0.0
        async with runtime.database.engine.connect() as pooled:
            raw = _RawCopy((await pooled.get_raw_connection()).driver_connection)
            await raw.create()
            try:
                for number, body in enumerate(bodies):
                    started = time.perf_counter()
                    response = await client.post(f"{base}/values", content=body)
                    ingest_seconds += time.perf_counter() - started
                    response.raise_for_status()
                    await raw.copy(rows[number * CHUNK : (number + 1) * CHUNK])
            finally:
                await raw.drop()
        ingest_rate = len(rows) / ingest_seconds
        copy_rates = raw.rates()
        copy_rate = max(copy_rates.values())
        # Both rates share the machine with whatever else runs: say how busy it was.
        ingest_load = os.getloadavg()[0]

        month = parse_period(MONTHS[-7])
        started = time.perf_counter()
        full = await run_recompute(CITY, [], settings)
        recompute_full = time.perf_counter() - started
        recompute_load = os.getloadavg()[0]
        assert full is not None
        started = time.perf_counter()
        async with runtime.database.transaction() as session:
            await recompute(
                session=session,
                outbox=runtime.outbox,
                city=CITY,
                periods=with_enclosing([str(month)]),
            )
        recompute_month = time.perf_counter() - started
        started = time.perf_counter()
        async with runtime.database.sessions() as session:
            await human_security_index(
                session=session, city=CITY, period_text=str(month), sees_raw=False
            )
        index_month = time.perf_counter() - started

        rate_path = f"{base}/indicators/SDG_16_1_1/values"
        started = time.perf_counter()
        posted = await client.post(
            f"{base}/values",
            content=json.dumps(
                {
                    "rows": [
                        {
                            "data_element": "HOMICIDES",
                            "district_code": "D001",
                            "period": str(month),
                            "value": 1000,
                        }
                    ]
                }
            ).encode(),
        )
        posted.raise_for_status()
        seen = await client.get(rate_path, params={"period": str(month), "district": "D001"})
        incremental_ms = (time.perf_counter() - started) * 1000
        # 1000 homicides among D001's 20,000 people: 5000 per 100,000.
        visible = seen.json()["value"] == 5000.0

        latencies = []
        for read in range(READS):
            district = DISTRICTS[(read * 37) % len(DISTRICTS)]
            started = time.perf_counter()
            response = await client.get(
                rate_path, params={"period": MONTHS[read % len(MONTHS)], "district": district}
            )
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    finally:
        await client.aclose()
        await runtime.database.dispose()

    p99 = statistics.quantiles(latencies, n=100)[98]
    return [
        Figure(
            "bulk ingest (POST /values, 10k rows)",
            ingest_rate,
            "values/s",
            "≥ 100,000 values/s",
            copy_rate,
            detail=f"{len(rows):,} values, load average {ingest_load:.1f}",
            met=ingest_rate >= 100_000,
        ),
        Figure(
            "raw COPY of the same rows",
            copy_rate,
            "values/s",
            None,
            copy_rate,
            detail=", ".join(f"{name} {rate:,.0f}" for name, rate in copy_rates.items()),
        ),
        Figure(
            "ingest vs raw COPY",
            100 * ingest_rate / copy_rate,
            "%",
            "≥ 50 %",
            None,
            met=ingest_rate >= 0.5 * copy_rate,
        ),
        Figure(
            "full recompute (values, index, alerts, events)",
            recompute_full,
            "s",
            "≤ 10 s",
            None,
            detail=f"{len(full.periods)} periods x {INDICATORS} indicators x "
            f"{len(DISTRICTS) + 1} areas, run whole, load average {recompute_load:.1f}",
            met=recompute_full <= 10,
        ),
        Figure(
            "recompute after one new month (month, quarter, year)",
            recompute_month,
            "s",
            None,
            None,
            detail=f"{INDICATORS} indicators x {len(DISTRICTS) + 1} areas",
        ),
        Figure("index of one month (city + 250 districts)", index_month, "s", None, None),
        Figure(
            "incremental: one value posted to visible",
            incremental_ms,
            "ms",
            "≤ 100 ms",
            None,
            detail="read back" if visible else "NOT visible",
            met=visible and incremental_ms <= 100,
        ),
        Figure(
            "district indicator read with trend",
            p99,
            "ms",
            "p99 ≤ 50 ms",
            None,
            detail=f"p50 {statistics.median(latencies):.1f} ms, {READS} reads",
            met=p99 <= 50,
        ),
    ]


def measure(stack: Stack) -> list[Figure]:
    spec = next(spec for spec in SERVICE_SPECS if spec.name == "indicators")
    asyncio.run(stack.postgres.create_database(DATABASE))
    url = stack.postgres.url(DATABASE)
    migrate(spec, url)
    return asyncio.run(_run(url))
