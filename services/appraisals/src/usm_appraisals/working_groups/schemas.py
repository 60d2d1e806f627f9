import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from usmkit.periods import PERIOD_DESCRIPTION, PERIOD_PATTERN

DISTRICT_CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{0,49}$"
GroupStatus = Literal["active", "inactive"]
Sector = Literal[
    "local_authority",
    "civil_society",
    "resident",
    "academia",
    "private_sector",
    "community_leader",
]
MemberRole = Literal["facilitator", "member"]
Gender = Literal["woman", "man", "non_binary", "prefer_not_to_say"]
AgeBand = Literal["under_18", "18_24", "25_34", "35_49", "50_64", "65_plus"]
ConsentScope = Literal["participation_statistics", "contact"]

DistrictCode = Annotated[str, StringConstraints(pattern=DISTRICT_CODE_PATTERN, max_length=50)]


class WorkingGroupCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Inanda Safer Neighbourhood Group",
                    "districts": ["DBN-INANDA", "DBN-NTUZUMA"],
                    "mandate": "Appraise human security in Inanda and follow the plan.",
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    districts: list[DistrictCode] = Field(
        min_length=1,
        max_length=100,
        description="District codes of the group's area (upper case, e.g. `DBN-INANDA`).",
    )
    mandate: str = Field(min_length=1, max_length=4000)
    status: GroupStatus = "active"

    @model_validator(mode="after")
    def _districts_are_codes(self) -> "WorkingGroupCreate":
        _check_districts(self.districts)
        return self


class WorkingGroupUpdate(BaseModel):
    """Fields to change; those left out keep their value."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"status": "inactive"}]},
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    districts: list[DistrictCode] | None = Field(default=None, min_length=1, max_length=100)
    mandate: str | None = Field(default=None, min_length=1, max_length=4000)
    status: GroupStatus | None = None

    @model_validator(mode="after")
    def _districts_are_codes(self) -> "WorkingGroupUpdate":
        if self.districts is not None:
            _check_districts(self.districts)
        return self


def _check_districts(districts: list[str]) -> None:
    if len(set(districts)) != len(districts):
        raise ValueError("A district is listed twice.")


class WorkingGroupRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    city: str
    name: str
    districts: list[str]
    mandate: str
    status: GroupStatus
    created_at: datetime
    version: int = Field(description='The ETag is this number in quotes: `"<version>"`.')


class Consent(BaseModel):
    """The member's consent as recorded: when, and to what."""

    model_config = ConfigDict(extra="forbid")

    given_at: datetime
    scope: list[ConsentScope] = Field(
        min_length=1,
        description=(
            "`participation_statistics`: self-declared attributes may be stored for statistics; "
            "`contact`: the contact may be stored and shown to facilitators."
        ),
    )


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()-]{5,40}$")


class MemberCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Thandi Mkhize",
                    "sector": "community_leader",
                    "role": "facilitator",
                    "gender": "woman",
                    "age_band": "35_49",
                    "disability": False,
                    "consent": {
                        "given_at": "2026-11-20T09:00:00Z",
                        "scope": ["participation_statistics", "contact"],
                    },
                    "contact": {"email": "thandi@example.org", "phone": "+27 31 555 0101"},
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    sector: Sector
    role: MemberRole = "member"
    gender: Gender | None = Field(default=None, description="Self-declared; optional.")
    age_band: AgeBand | None = Field(default=None, description="Self-declared; optional.")
    disability: bool | None = Field(default=None, description="Self-declared; optional.")
    consent: Consent | None = None
    contact: Contact | None = None

    @model_validator(mode="after")
    def _consent_covers_what_is_given(self) -> "MemberCreate":
        scope = set(self.consent.scope) if self.consent else set()
        personal = (self.gender, self.age_band, self.disability)
        if any(value is not None for value in personal) and "participation_statistics" not in scope:
            raise ValueError(
                "Gender, age band and disability need consent with scope "
                "'participation_statistics'."
            )
        has_contact = self.contact is not None and (self.contact.email or self.contact.phone)
        if has_contact and "contact" not in scope:
            raise ValueError("A contact needs consent with scope 'contact'.")
        return self


class MemberRead(BaseModel):
    """A member as anyone who may read the group sees them: no contact, no personal data."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    working_group_id: uuid.UUID
    name: str
    sector: Sector
    role: MemberRole
    created_at: datetime


class MemberPrivateRead(MemberRead):
    """A member as principals with `appraisals:contacts:read` in the city see them."""

    gender: Gender | None
    age_band: AgeBand | None
    disability: bool | None
    consent: Consent | None
    contact: Contact | None


class GroupSessionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "held_on": "2026-11-20",
                    "place": "Inanda community hall",
                    "agenda": "Map unsafe routes; agree the appraisal's districts.",
                    "minutes": "Twelve routes mapped; two districts agreed.",
                    "attendance": ["0193a3c4-0000-7000-8000-0000000000a1"],
                }
            ]
        },
    )

    held_on: date
    place: str = Field(min_length=1, max_length=300)
    agenda: str = Field(min_length=1, max_length=10000)
    minutes: str | None = Field(default=None, max_length=50000)
    attendance: list[uuid.UUID] = Field(
        default_factory=list, max_length=500, description="Ids of the members present."
    )


class GroupSessionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    working_group_id: uuid.UUID
    held_on: date
    place: str
    agenda: str
    minutes: str | None
    attendance: list[uuid.UUID]
    created_at: datetime


class CountCell(BaseModel):
    key: str
    count: int | None = Field(description="Null when suppressed.")
    suppressed: bool = Field(description="True for counts from 1 to k-1 (and their complements).")


class ParticipationStatisticsRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "description": (
                "Distinct members who attended at least one session of the group in the period. "
                "Counts from 1 to k-1 are suppressed; where one cell of a breakdown is "
                "suppressed, the next smallest is too, so no count can be recovered by "
                "subtraction."
            )
        }
    )

    city: str
    working_group_id: uuid.UUID | None = Field(
        description="The group, or null for every group of the city (counted per membership)."
    )
    period: str = Field(pattern=PERIOD_PATTERN, description=PERIOD_DESCRIPTION)
    period_start: date
    period_end: date
    min_cell_count: int = Field(description="k: counts below it (and above 0) are suppressed.")
    sessions: int
    participants: CountCell
    women: CountCell
    youth: CountCell = Field(description="Members in the age bands under 25.")
    by_sector: list[CountCell]
    by_gender: list[CountCell]
    by_age_band: list[CountCell]
    by_disability: list[CountCell]
