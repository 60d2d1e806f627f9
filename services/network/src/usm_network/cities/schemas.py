import uuid
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from usm_network.cities.reference import check_country_code, check_time_zone

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
CityRole = Literal["pilot", "learning", "partner"]
PartnershipKind = Literal["partnership", "twinning", "mentoring"]

CountryCode = Annotated[
    str,
    Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2."),
    AfterValidator(check_country_code),
]
TimeZone = Annotated[
    str,
    Field(max_length=64, description="IANA time zone, e.g. `Africa/Johannesburg`."),
    AfterValidator(check_time_zone),
]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}$", description="ISO 639-1.")]


class CityContact(BaseModel):
    """A contact person of the city; shown only to writers in that city, never shared."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    position: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40, pattern=r"^\+?[0-9 ()\-]{4,40}$")


def _check_membership(since: date | None, until: date | None) -> None:
    if since is not None and until is not None and until < since:
        raise ValueError("member_until is before member_since")


class CityCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "slug": "durban",
                    "name": "Durban (eThekwini)",
                    "name_es": "Durban (eThekwini)",
                    "country_code": "ZA",
                    "region": "KwaZulu-Natal",
                    "population": 3900000,
                    "role": "pilot",
                    "member_since": "2024-03-01",
                    "languages": ["en", "zu"],
                    "time_zone": "Africa/Johannesburg",
                    "contacts": [{"name": "Safer Cities Unit", "email": "safer@example.org"}],
                }
            ]
        },
    )

    slug: str = Field(min_length=2, max_length=100, pattern=SLUG_PATTERN)
    name: str = Field(min_length=1, max_length=200, description="Name in English.")
    name_es: str | None = Field(default=None, min_length=1, max_length=200)
    country_code: CountryCode
    region: str | None = Field(default=None, min_length=1, max_length=200)
    population: int | None = Field(default=None, ge=0, le=100_000_000)
    role: CityRole
    member_since: date | None = Field(default=None, description="Defaults to today.")
    member_until: date | None = None
    languages: list[LanguageCode] = Field(default_factory=lambda: ["en"], min_length=1)
    time_zone: TimeZone = "UTC"
    contacts: list[CityContact] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _membership_in_order(self) -> Self:
        _check_membership(self.member_since, self.member_until)
        return self


class CityUpdate(BaseModel):
    """Only the fields sent change; `null` clears an optional field."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"population": 4000000, "languages": ["en", "zu"]}]},
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_es: str | None = Field(default=None, min_length=1, max_length=200)
    country_code: CountryCode | None = None
    region: str | None = Field(default=None, min_length=1, max_length=200)
    population: int | None = Field(default=None, ge=0, le=100_000_000)
    role: CityRole | None = Field(default=None, description="Needs `network:admin`.")
    member_since: date | None = Field(default=None, description="Needs `network:admin`.")
    member_until: date | None = Field(default=None, description="Needs `network:admin`.")
    languages: list[LanguageCode] | None = Field(default=None, min_length=1)
    time_zone: TimeZone | None = None
    contacts: list[CityContact] | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> Self:
        required = ("name", "country_code", "role", "member_since", "languages", "time_zone")
        cleared = [
            name for name in required if name in self.model_fields_set and not getattr(self, name)
        ]
        if cleared:
            raise ValueError(f"{', '.join(cleared)} may not be null")
        return self


class CityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str
    name_es: str | None
    country_code: str
    region: str | None
    population: int | None
    role: CityRole
    member_since: date
    member_until: date | None
    languages: list[str]
    time_zone: str
    contacts: list[CityContact] | None = Field(
        default=None, description="Only for callers with `network:write` in this city."
    )
    origin_node: str | None = Field(
        description="The deployment that owns this record; null when it is this one."
    )
    version: int
    created_at: datetime
    updated_at: datetime


class PartnershipCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "city_a": "durban",
                    "city_b": "ciudad-juarez",
                    "kind": "twinning",
                    "since": "2025-06-01",
                    "description": "Exchange of Working Group facilitators.",
                }
            ]
        },
    )

    city_a: str = Field(min_length=2, max_length=100, pattern=SLUG_PATTERN)
    city_b: str = Field(min_length=2, max_length=100, pattern=SLUG_PATTERN)
    kind: PartnershipKind
    since: date
    description: str = Field(default="", max_length=4000)

    @model_validator(mode="after")
    def _two_cities(self) -> Self:
        if self.city_a == self.city_b:
            raise ValueError("a partnership needs two different cities")
        return self


class PartnershipRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    city_a: str
    city_b: str
    kind: PartnershipKind
    since: date
    description: str
    created_at: datetime
