from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
# No dots: a district code is one part of a dot-separated SDMX series key (an SDMX ID).
DISTRICT_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$"

# Strict: a coordinate given as a string or a boolean is an error, not a number.
Longitude = Annotated[float, Field(strict=True, ge=-180, le=180)]
Latitude = Annotated[float, Field(strict=True, ge=-90, le=90)]
Position = tuple[Longitude, Latitude]


def _closed(ring: list[Position]) -> list[Position]:
    if ring[0] != ring[-1]:
        raise ValueError("a linear ring must end at the position it starts from")
    return ring


LinearRing = Annotated[
    list[Position],
    Field(min_length=4, description="At least four [lon, lat] positions; first equals last."),
    AfterValidator(_closed),
]
PolygonCoordinates = Annotated[
    list[LinearRing], Field(min_length=1, description="The exterior ring, then any holes.")
]


class Polygon(BaseModel):
    """A GeoJSON Polygon (RFC 7946) in WGS84 longitude/latitude."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["Polygon"]
    coordinates: PolygonCoordinates


class MultiPolygon(BaseModel):
    """A GeoJSON MultiPolygon (RFC 7946) in WGS84 longitude/latitude."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[PolygonCoordinates], Field(min_length=1)]


Boundary = Annotated[Polygon | MultiPolygon, Field(discriminator="type")]

_EXAMPLE_BOUNDARY: JsonDict = {
    "type": "Polygon",
    "coordinates": [[[31.0, -29.9], [31.1, -29.9], [31.1, -29.8], [31.0, -29.8], [31.0, -29.9]]],
}


class DistrictUpsert(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "Central", "boundary": _EXAMPLE_BOUNDARY, "population": 120000}]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    boundary: Boundary | None = None
    population: int | None = Field(default=None, ge=0)


class DistrictRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    city: str
    code: str
    name: str
    boundary: Boundary | None
    population: int | None
    updated_at: datetime
