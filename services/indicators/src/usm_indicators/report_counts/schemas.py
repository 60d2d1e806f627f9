from pydantic import BaseModel, ConfigDict, Field


class ReportCountRead(BaseModel):
    """Reports received in one cell; small counts are suppressed, never shown."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "district_code": "DBN-CENTRAL",
                    "category_code": "streetlight",
                    "period": "2026-11",
                    "count": 12,
                    "suppressed": False,
                },
                {
                    "district_code": None,
                    "category_code": "streetlight",
                    "period": "2026-11",
                    "count": None,
                    "suppressed": True,
                },
            ]
        }
    )

    district_code: str | None = Field(description="Null for reports outside every district.")
    category_code: str
    period: str = Field(description="ISO 8601 month, `YYYY-MM`.")
    count: int | None = Field(description="Null when suppressed.")
    suppressed: bool = Field(
        description="True when the count is between 1 and k-1 (k = 5) and so withheld."
    )
