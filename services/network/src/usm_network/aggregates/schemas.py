"""Public indicator aggregates (as indicators publishes them and as they travel) and
cross-city benchmarks."""

import functools
import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from usm_network.cities.schemas import SLUG_PATTERN
from usm_network.knowledge.schemas import Dimension
from usmkit.periods import PeriodError, parse_period

Direction = Literal["higher_is_better", "lower_is_better"]
INDICATOR_CODE_PATTERN = r"^[A-Z][A-Z0-9_]{0,49}$"
INDEX_CODE = "index"
# Fixed, so every node derives the same record id for a city's aggregate of a period.
_AGGREGATE_NAMESPACE = uuid.UUID("4f1c2a9e-6b1d-5c7e-8a3f-2d9e0b6c7a15")


def aggregate_id(city: str, period: str) -> uuid.UUID:
    """The record id of a city's aggregate for a period, the same on every node."""
    return uuid.uuid5(_AGGREGATE_NAMESPACE, f"{city}/{period}")


@functools.lru_cache(maxsize=4096)
def canonical_period(text: str) -> str:
    """The period as USM writes it; ValueError (a validation error) if it names none.

    Cached: a synced page holds thousands of aggregates over a few periods.
    """
    try:
        return str(parse_period(text))
    except PeriodError as error:
        raise ValueError(str(error)) from error


class AggregateValue(BaseModel):
    """One public value: city level (`district_code` null) or one district."""

    model_config = ConfigDict(extra="forbid")

    indicator_code: str = Field(pattern=INDICATOR_CODE_PATTERN)
    dimension: Dimension
    unit: str = Field(max_length=100)
    direction: Direction
    district_code: str | None = Field(max_length=50)
    value: float | None = Field(allow_inf_nan=False)
    suppressed: bool = Field(strict=True)

    @model_validator(mode="after")
    def _suppressed_has_no_value(self) -> Self:
        # Whatever a producer or a peer sends, a suppressed cell never carries a number here,
        # so it can never be stored, served, benchmarked or passed on as one. Checked after
        # the fields (a "before" validator made pydantic build a dict of every value of a
        # synced page, a fifth of the time to validate it), and written only when needed
        # (pydantic's `__setattr__` is slow).
        if self.suppressed and self.value is not None:
            self.value = None
        return self


class HumanSecurityIndex(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overall: float | None = Field(ge=0, le=100)
    coverage: float = Field(ge=0, le=1, description="Share of indicators with data.")
    by_dimension: dict[Dimension, float | None] = Field(
        description="Per dimension, 0 to 100; null where no indicator of it has data."
    )

    @field_validator("by_dimension")
    @classmethod
    def _scores_in_range(cls, scores: dict[str, float | None]) -> dict[str, float | None]:
        if any(score is not None and not 0 <= score <= 100 for score in scores.values()):
            raise ValueError("dimension scores are between 0 and 100")
        return scores


class AggregatesPublished(BaseModel):
    """The data of `org.usm.indicators.aggregates.published.v1`."""

    model_config = ConfigDict(extra="forbid")

    city: str = Field(max_length=100, pattern=SLUG_PATTERN)
    period: str = Field(min_length=4, max_length=10)
    # With its offset: a naive time would be read in the receiving database's time zone.
    computed_at: AwareDatetime
    indicators: list[AggregateValue] = Field(max_length=20_000)
    index: HumanSecurityIndex | None

    @field_validator("period")
    @classmethod
    def _canonical_period(cls, period: str) -> str:
        return canonical_period(period)


class AggregateRecord(AggregatesPublished):
    """A city's aggregate for a period as it travels between nodes."""

    id: uuid.UUID
    version: int = Field(ge=1)

    @model_validator(mode="after")
    def _id_names_city_and_period(self) -> Self:
        if self.id != aggregate_id(self.city, self.period):
            raise ValueError("id does not match city and period")
        return self

    @property
    def record_id(self) -> str:
        """Its id on the change feed."""
        return str(self.id)


class AggregateRead(AggregateRecord):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": str(aggregate_id("durban", "2026-10")),
                    "city": "durban",
                    "period": "2026-10",
                    "computed_at": "2026-11-26T09:00:00Z",
                    "indicators": [
                        {
                            "indicator_code": "SDG_16_1_1",
                            "dimension": "personal",
                            "unit": "per 100000 population",
                            "direction": "lower_is_better",
                            "district_code": None,
                            "value": 35.2,
                            "suppressed": False,
                        }
                    ],
                    "index": {"overall": 61.4, "coverage": 0.71, "by_dimension": {"personal": 48}},
                    "version": 1,
                    "origin_node": None,
                    "updated_at": "2026-11-26T09:00:01Z",
                }
            ]
        },
    )

    origin_node: str | None = Field(
        description="The deployment it was synced from; null when published here."
    )
    updated_at: datetime


class BenchmarkIndicator(BaseModel):
    code: str = Field(description="The indicator code, or `index` for the human-security index.")
    dimension: Dimension | None
    unit: str
    direction: Direction


class BenchmarkEntry(BaseModel):
    rank: int | None = Field(
        description="1 = best by the indicator's direction; equal values share a rank; "
        "null when the value is suppressed or missing."
    )
    city: str
    name: str | None = Field(description="Null when the city is not in this node's registry.")
    country_code: str | None
    region: str | None
    population: int | None
    role: str | None = Field(description="pilot, learning or partner.")
    origin_node: str | None = Field(description="Null for this deployment's own cities.")
    value: float | None
    suppressed: bool = Field(description="Withheld by small-cell suppression at its origin.")
    computed_at: datetime
    index_coverage: float | None = Field(
        description="Share of the city's indicators with data for the period (its index)."
    )


class BenchmarkCoverage(BaseModel):
    member_cities: int = Field(description="Member cities in this node's registry.")
    published: int = Field(description="Cities with an aggregate for the period.")
    ranked: int = Field(description="Cities with a comparable value.")
    suppressed: int
    without_data: list[str] = Field(description="Member cities with no value for the period.")
    other_periods: list[str] = Field(
        description="When no city has a value for the period: periods that have some."
    )
    note: str


class Benchmark(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "indicator": {
                        "code": "SDG_16_1_1",
                        "dimension": "personal",
                        "unit": "per 100000 population",
                        "direction": "lower_is_better",
                    },
                    "period": "2026",
                    "cities": [
                        {
                            "rank": 1,
                            "city": "durban",
                            "name": "Durban (eThekwini)",
                            "country_code": "ZA",
                            "region": "KwaZulu-Natal",
                            "population": 3900000,
                            "role": "pilot",
                            "origin_node": None,
                            "value": 35.2,
                            "suppressed": False,
                            "computed_at": "2026-11-26T09:00:00Z",
                            "index_coverage": 0.71,
                        }
                    ],
                    "coverage": {
                        "member_cities": 2,
                        "published": 1,
                        "ranked": 1,
                        "suppressed": 0,
                        "without_data": ["ciudad-juarez"],
                        "other_periods": [],
                        "note": "1 of 2 member cities ranked; no data: ciudad-juarez.",
                    },
                }
            ]
        }
    )

    indicator: BenchmarkIndicator
    period: str
    cities: list[BenchmarkEntry]
    coverage: BenchmarkCoverage
