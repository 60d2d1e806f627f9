from pydantic import BaseModel, ConfigDict, Field


class DataGapRead(BaseModel):
    """An active indicator that cannot be computed for a district (or the city) in some of
    the periods asked."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "indicator_code": "SDG_16_1_1",
                    "dimension": "personal",
                    "district_code": "DBN-NORTH",
                    "periods": 12,
                    "with_data": 9,
                    "coverage": 0.75,
                    "missing_periods": ["2025-04", "2025-05", "2025-11"],
                }
            ]
        }
    )

    indicator_code: str
    dimension: str
    district_code: str | None = Field(description="Null for the whole city.")
    periods: int = Field(description="Periods asked.")
    with_data: int = Field(description="Periods the indicator has a value in.")
    coverage: float = Field(description="with_data / periods.")
    missing_periods: list[str] = Field(description="Periods without a value, oldest first.")
