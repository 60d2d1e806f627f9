from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator

from usm_indicators.geography.schemas import DISTRICT_CODE_PATTERN

Sex = Literal["female", "male", "other"]
Disability = Literal["with_disability", "without_disability"]
Quality = Literal["verified", "provisional", "estimated"]
AGE_BAND_PATTERN = r"^[0-9]{1,3}(-[0-9]{1,3}|\+)$"
MAX_BULK_ROWS = 10_000
NO_NUL_PATTERN = r"^[^\x00]*$"
PERIOD_DESCRIPTION = "ISO 8601 period: `2025`, `2025-Q1`, `2025-03`, `2025-W12` or `2025-03-14`."


class Disaggregation(BaseModel):
    """Who a value counts; a dimension left out means the total over it."""

    model_config = ConfigDict(extra="forbid")

    sex: Sex | None = None
    age_band: str | None = Field(
        default=None, pattern=AGE_BAND_PATTERN, description="`15-24`, `65+`."
    )
    disability: Disability | None = None


class DataValueCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "data_element": "HOMICIDES",
                    "district_code": "DBN-CENTRAL",
                    "period": "2025-03",
                    "disaggregation": {"sex": "female"},
                    "value": 4,
                    "source": "SAPS crime statistics",
                    "quality": "verified",
                }
            ]
        },
    )

    data_element: str = Field(max_length=50, description="A data element code, e.g. HOMICIDES.")
    district_code: str | None = Field(
        default=None,
        pattern=DISTRICT_CODE_PATTERN,
        description="A district of the city; null for a value of the whole city.",
    )
    period: str = Field(max_length=20, description=PERIOD_DESCRIPTION)
    disaggregation: Disaggregation | None = None
    value: float = Field(allow_inf_nan=False)
    source: str | None = Field(
        default=None,
        max_length=200,
        # PostgreSQL text cannot hold NUL: refused here, not by the database.
        pattern=NO_NUL_PATTERN,
        description="Where it comes from.",
    )
    quality: Quality = "verified"


class DataValuesBulkCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "rows": [
                        {
                            "data_element": "HOMICIDES",
                            "district_code": "DBN-CENTRAL",
                            "period": "2025-03",
                            "value": 4,
                            "source": "SAPS crime statistics",
                        },
                        {"data_element": "POPULATION", "period": "2025", "value": 3_900_000},
                    ]
                }
            ]
        },
    )

    rows: list[DataValueCreate] = Field(min_length=1, max_length=MAX_BULK_ROWS)


def _as_sent(body: object) -> object:
    return body


# The bulk body as parsed JSON, unvalidated: `values.validation` checks it row by row far
# faster than building 10,000 models, and answers schema and catalogue problems together.
# The OpenAPI document shows `DataValuesBulkCreate`, the shape it is checked against.
BulkBody = Annotated[object, PlainValidator(_as_sent, json_schema_input_type=DataValuesBulkCreate)]


class DataValuesIngested(BaseModel):
    """What a bulk load stored (every row, or none)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "stored": 2,
                    "data_elements": ["HOMICIDES", "POPULATION"],
                    "periods": ["2025-03"],
                    "districts": ["DBN-CENTRAL"],
                }
            ]
        }
    )

    stored: int = Field(description="Rows inserted or updated (identical duplicates count once).")
    data_elements: list[str]
    periods: list[str]
    districts: list[str | None] = Field(description="District codes; null for the whole city.")


class DataValueRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data_element": "HOMICIDES",
                    "district_code": "DBN-CENTRAL",
                    "period": "2025-03",
                    "disaggregation": {"sex": "female", "age_band": None, "disability": None},
                    "value": 4,
                    "source": "SAPS crime statistics",
                    "quality": "verified",
                    "updated_at": "2026-11-25T10:15:00Z",
                }
            ]
        }
    )

    data_element: str
    district_code: str | None
    period: str
    disaggregation: Disaggregation
    value: float
    source: str | None
    quality: Quality
    updated_at: datetime
