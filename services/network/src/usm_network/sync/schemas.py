import re
import uuid
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    model_validator,
)

from usm_network.aggregates.schemas import AggregateRecord
from usm_network.cities.schemas import SLUG_PATTERN, CityRole, CountryCode, LanguageCode
from usm_network.knowledge.schemas import Dimension, KnowledgeKind, Licence, Tag

RecordType = Literal["knowledge_item", "city", "indicator_aggregate"]
RECORD_TYPES: list[RecordType] = ["knowledge_item", "city", "indicator_aggregate"]
NodeId = str


# Printable ASCII only: a host (with an optional port) and an optional path, no query.
BASE_URL_PATTERN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$"
# C0 controls and DEL: PostgreSQL cannot store a NUL, and none belongs in a secret that
# operators paste into both nodes' configuration.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f]")


def _without_control_characters(secret: SecretStr) -> SecretStr:
    # `pattern` cannot apply to a SecretStr, hence a validator (the message never shows it).
    if CONTROL_CHARACTERS.search(secret.get_secret_value()):
        raise ValueError("The secret cannot contain control characters.")
    return secret


PeerSecret = Annotated[SecretStr, AfterValidator(_without_control_characters)]

# Visible ASCII, no space: a key travels in an HTTP header, where anything else would be
# mangled or refused (the gateway's own keys are `usm_<prefix>_<secret>`).
VISIBLE_ASCII = re.compile("[\x21-\x7e]+")


def _visible_ascii(api_key: SecretStr) -> SecretStr:
    # `fullmatch`: with `match` and `$`, a key ending in a newline would pass.
    if not VISIBLE_ASCII.fullmatch(api_key.get_secret_value()):
        raise ValueError("The API key must be printable ASCII without spaces.")
    return api_key


PeerApiKey = Annotated[SecretStr, AfterValidator(_visible_ascii)]
API_KEY_DESCRIPTION = (
    "The API key the peer's gateway issued to this node (a `partner_node` key with the "
    "scope `network:sync`), sent as `X-API-Key` with every feed request. Needed when the "
    "peer's `base_url` is its gateway; the signature is required either way. Stored sealed, "
    "never shown again."
)


class KnowledgeRecord(BaseModel):
    """A knowledge item as it travels between nodes."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    kind: KnowledgeKind
    origin_city: str = Field(max_length=100, pattern=SLUG_PATTERN)
    title: str = Field(min_length=1, max_length=300)
    summary: str = Field(max_length=4000)
    body: str = Field(max_length=100_000)
    dimensions: list[Dimension] = Field(max_length=7)
    tags: list[Tag] = Field(max_length=20)
    language: str = Field(pattern=r"^[a-z]{2}$")
    licence: Licence
    version: int = Field(ge=1)
    # With their offset, as every node writes them: a naive time would be read in the
    # receiving database's time zone.
    published_at: AwareDatetime
    updated_at: AwareDatetime

    @property
    def record_id(self) -> str:
        """Its id on the change feed."""
        return str(self.id)


class CityRecord(BaseModel):
    """A member city's public record as it travels between nodes (never its contacts)."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(max_length=100, pattern=SLUG_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    name_es: str | None = Field(max_length=200)
    country_code: CountryCode
    region: str | None = Field(max_length=200)
    population: int | None = Field(ge=0)
    role: CityRole
    member_since: date
    member_until: date | None
    languages: list[LanguageCode] = Field(min_length=1)
    time_zone: str = Field(max_length=64)
    version: int = Field(ge=1)

    @property
    def record_id(self) -> str:
        """Its id on the change feed."""
        return self.slug


SharedRecord = KnowledgeRecord | CityRecord | AggregateRecord


class FeedChangeBase(BaseModel):
    """One entry of the change feed: the latest version of a record, or its tombstone.

    Each record type has its own subclass with a typed `payload`, so a whole page is
    validated in one pass, payloads included.
    """

    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=1, description="Position in the serving node's feed.")
    record_type: RecordType
    record_id: str = Field(min_length=1, max_length=100)
    origin_node: NodeId = Field(max_length=100, pattern=SLUG_PATTERN)
    version: int = Field(ge=1)
    deleted: bool
    # Kept as validated, not as sent: what is applied and passed on down a chain is then
    # normalised (e.g. a suppressed value is null, never a number).
    payload: SharedRecord | None = Field(description="The record; null for a tombstone.")

    @model_validator(mode="after")
    def _payload_matches(self) -> Self:
        if self.deleted != (self.payload is None):
            raise ValueError("a tombstone has no payload and a record has one")
        if self.payload is not None and (
            self.payload.record_id != self.record_id or self.payload.version != self.version
        ):
            raise ValueError("payload does not match record_id and version")
        return self

    @property
    def record(self) -> SharedRecord:
        """The validated record (of a change that is not a tombstone)."""
        if self.payload is None:
            raise ValueError("a tombstone has no record")
        return self.payload


class KnowledgeChange(FeedChangeBase):
    record_type: Literal["knowledge_item"]
    payload: KnowledgeRecord | None = Field(description="The record; null for a tombstone.")


class CityChange(FeedChangeBase):
    record_type: Literal["city"]
    payload: CityRecord | None = Field(description="The record; null for a tombstone.")


class AggregateChange(FeedChangeBase):
    record_type: Literal["indicator_aggregate"]
    payload: AggregateRecord | None = Field(description="The record; null for a tombstone.")


FeedChange = Annotated[
    KnowledgeChange | CityChange | AggregateChange, Field(discriminator="record_type")
]


class FeedPage(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "node_id": "durban-node",
                    "changes": [
                        {
                            "seq": 42,
                            "record_type": "knowledge_item",
                            "record_id": "0193a3c4-0000-7000-8000-000000000001",
                            "origin_node": "durban-node",
                            "version": 3,
                            "deleted": True,
                            "payload": None,
                        }
                    ],
                    "next_cursor": "42",
                    "has_more": False,
                }
            ]
        },
    )

    node_id: NodeId = Field(max_length=100, pattern=SLUG_PATTERN)
    changes: list[FeedChange]
    next_cursor: str = Field(pattern=r"^[0-9]{1,19}$", description="Send as `cursor` next time.")
    has_more: bool


class PeerCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "node_id": "juarez-node",
                    "base_url": "https://usm.juarez.example.org",
                    "secret": "a-long-random-shared-secret-of-32-chars-or-more",
                    "api_key": "usm_3f9c2a7b1d4e_Xq8vN2kR7tP0wYz5LmC3sHfJ9uE6gAbD1oKiV4nQxZq",
                    "shares": ["knowledge_item", "city", "indicator_aggregate"],
                    "accepts": ["knowledge_item", "city", "indicator_aggregate"],
                }
            ]
        },
    )

    node_id: NodeId = Field(min_length=2, max_length=100, pattern=SLUG_PATTERN)
    base_url: str = Field(max_length=500, pattern=BASE_URL_PATTERN)
    secret: PeerSecret = Field(
        min_length=32, max_length=200, description="Shared HMAC secret; never shown again."
    )
    api_key: PeerApiKey | None = Field(
        default=None, min_length=20, max_length=300, description=API_KEY_DESCRIPTION
    )
    shares: list[RecordType] = Field(
        default_factory=lambda: list(RECORD_TYPES), description="What this node serves the peer."
    )
    accepts: list[RecordType] = Field(
        default_factory=lambda: list(RECORD_TYPES), description="What it takes from the peer."
    )
    enabled: bool = True


class PeerUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"enabled": False},
                {"secret": "a-new-secret-" + "x" * 20},
                {"api_key": "usm_8e1b4c6d2a9f_R2tY7uI0oP3aS6dF9gH1jK4lZ8xC5vB7nM0qW2eZq7W"},
            ]
        },
    )

    base_url: str | None = Field(default=None, max_length=500, pattern=BASE_URL_PATTERN)
    secret: PeerSecret | None = Field(
        default=None, min_length=32, max_length=200, description="Rotate the shared secret."
    )
    api_key: PeerApiKey | None = Field(
        default=None,
        min_length=20,
        max_length=300,
        description="Set or replace the API key for the peer's gateway; `null` removes it "
        "(the peer is then called without one).",
    )
    shares: list[RecordType] | None = None
    accepts: list[RecordType] | None = None
    enabled: bool | None = None
    restart: bool = Field(
        default=False, description="Forget the cursor: the next run pulls the whole feed again."
    )


class PeerRead(BaseModel):
    """A peer; its secret and API key are never returned."""

    model_config = ConfigDict(from_attributes=True)

    node_id: str
    base_url: str
    has_api_key: bool = Field(
        description="Whether feed requests carry an API key for the peer's gateway."
    )
    shares: list[RecordType]
    accepts: list[RecordType]
    enabled: bool
    cursor: str | None
    last_run_at: datetime | None
    version: int
    created_at: datetime


class SyncRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    peer_node_id: str
    status: Literal["ok", "failed"]
    started_at: datetime
    finished_at: datetime
    duration_ms: int
    pages: int
    received: int
    applied: int
    deleted: int
    skipped: int
    attempts: int
    error: str | None
