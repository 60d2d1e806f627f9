from pydantic import BaseModel, Field


class CellCount(BaseModel):
    """How many reports fall in one H3 cell."""

    cell: str = Field(description="The H3 cell index.", examples=["88bc1b6621fffff"])
    latitude: float = Field(description="The cell's centre.")
    longitude: float = Field(description="The cell's centre.")
    count: int | None = Field(description="Null when suppressed (from 1 to threshold - 1).")
    suppressed: bool


class CellMap(BaseModel):
    """Report counts per H3 cell: normal reports only (sensitive ones are counted per
    district only)."""

    city: str
    resolution: int
    suppression_threshold: int = Field(
        description="Counts from 1 to this minus one are published as suppressed."
    )
    cells: list[CellCount] = Field(description="Ordered by cell index.")


class DistrictCount(BaseModel):
    """How many reports a district has, sensitive ones included."""

    district_code: str | None = Field(description="Null: reports outside every district.")
    district_name: str | None
    count: int | None = Field(description="Null when suppressed (from 1 to threshold - 1).")
    suppressed: bool


class DistrictMap(BaseModel):
    city: str
    suppression_threshold: int
    districts: list[DistrictCount] = Field(
        description="Every district of the city (zero counts too), ordered by code; the "
        "reports outside every district last."
    )
