from pydantic import BaseModel, ConfigDict, Field


class TrendPoint(BaseModel):
    """The indicator in an earlier period and the change from it to the asked period."""

    period: str
    value: float | None = Field(description="Null when suppressed.")
    change: float | None = Field(
        description="Asked period's value minus this one; null when either is withheld."
    )
    suppressed: bool


class Trend(BaseModel):
    previous: TrendPoint | None = Field(description="The period just before; null without data.")
    year_before: TrendPoint | None = Field(
        description="The same period a year earlier; null without data."
    )


class IndicatorValueRead(BaseModel):
    """An indicator computed for a district (or the whole city) and a period."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "indicator": "SDG_16_1_1",
                    "city": "durban",
                    "district_code": None,
                    "period": "2025",
                    "unit": "per 100000 population",
                    "value": 4.0,
                    "numerator": 10.0,
                    "denominator": 250000.0,
                    "suppressed": False,
                    "trend": {
                        "previous": {
                            "period": "2024",
                            "value": 5.0,
                            "change": -1.0,
                            "suppressed": False,
                        },
                        "year_before": {
                            "period": "2024",
                            "value": 5.0,
                            "change": -1.0,
                            "suppressed": False,
                        },
                    },
                }
            ]
        }
    )

    indicator: str
    city: str
    district_code: str | None = Field(description="Null for the whole city.")
    period: str
    unit: str
    value: float | None = Field(description="Null without data, or when suppressed.")
    numerator: float | None
    denominator: float | None
    suppressed: bool = Field(
        description=(
            "True when the numerator of a count-based or sensitive indicator is between 1 "
            "and 4 and the caller may not see raw data: value, numerator and denominator "
            "are withheld."
        )
    )
    trend: Trend


class DimensionScoreRead(BaseModel):
    dimension: str
    score: float | None = Field(description="0 (worst) to 100 (best); null without data.")
    coverage: float = Field(description="Share of the dimension's active indicators with data.")
    indicators: int = Field(description="Active indicators in the dimension.")
    with_data: int


class AreaIndexRead(BaseModel):
    district_code: str | None = Field(description="Null for the whole city.")
    score: float | None = Field(description="Mean of the dimension scores that have data.")
    coverage: float = Field(description="Share of active indicators with data.")
    indicators: int
    with_data: int
    dimensions: list[DimensionScoreRead]


class HumanSecurityIndexRead(BaseModel):
    """The human-security index of a city and each of its districts for one period."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "city": "durban",
                    "period": "2025",
                    "method": "Each active indicator with data is normalised to 0-100 ...",
                    "city_index": {
                        "district_code": None,
                        "score": 66.0,
                        "coverage": 0.154,
                        "indicators": 26,
                        "with_data": 4,
                        "dimensions": [
                            {
                                "dimension": "personal",
                                "score": 88.0,
                                "coverage": 0.154,
                                "indicators": 13,
                                "with_data": 2,
                            }
                        ],
                    },
                    "districts": [],
                }
            ]
        }
    )

    city: str
    period: str
    method: str
    city_index: AreaIndexRead
    districts: list[AreaIndexRead]
