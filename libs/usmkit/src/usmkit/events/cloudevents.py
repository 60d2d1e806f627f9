"""The CloudEvents 1.0 envelope (structured mode) and validation of its data."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema_rs
from pydantic import BaseModel, ConfigDict, Field

CONTENT_TYPE = "application/cloudevents+json"
SCHEMA_BASE_URI = "https://usm.example.org/contracts/events/schemas/"


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 envelope with the USM `city` extension."""

    model_config = ConfigDict(extra="forbid")

    specversion: str = "1.0"
    id: uuid.UUID
    source: str
    type: str
    subject: str
    time: datetime
    datacontenttype: str = "application/json"
    dataschema: str
    city: str = Field(min_length=1, max_length=100)
    data: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


def event_type(service: str, name: str, version: int = 1) -> str:
    """`("reports", "report.submitted")` → `org.usm.reports.report.submitted.v1`."""
    return f"org.usm.{service}.{name}.v{version}"


def new_event(
    *, service: str, name: str, subject: str, city: str, data: dict[str, Any], version: int = 1
) -> CloudEvent:
    type_ = event_type(service, name, version)
    return CloudEvent(
        id=uuid.uuid4(),
        source=f"/usm/{service}",
        type=type_,
        subject=subject,
        time=datetime.now(UTC),
        dataschema=f"{SCHEMA_BASE_URI}{type_}.json",
        city=city,
        data=data,
    )


class InvalidEvent(ValueError):
    """An event whose envelope or data breaks its contract."""


def default_contracts_dir() -> Path:
    """`USM_CONTRACTS_DIR`, else the repository's `contracts/` found above this file."""
    configured = os.environ.get("USM_CONTRACTS_DIR")
    if configured:
        return Path(configured)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "contracts"
        if (candidate / "events" / "schemas").is_dir():
            return candidate
    raise RuntimeError("contracts/ not found; set USM_CONTRACTS_DIR")


class SchemaRegistry:
    """JSON Schemas of event data, read from `contracts/events/schemas/<type>.json`.

    Validation is compiled (jsonschema-rs): events are checked when written and when read,
    and a city's `aggregates.published` holds thousands of cells.
    """

    def __init__(self, contracts_dir: Path | None = None) -> None:
        self.schemas_dir = (contracts_dir or default_contracts_dir()) / "events" / "schemas"

    @cached_property
    def _validators(self) -> dict[str, jsonschema_rs.Validator]:
        validators: dict[str, jsonschema_rs.Validator] = {}
        for path in sorted(self.schemas_dir.glob("*.json")):
            schema = json.loads(path.read_text())
            jsonschema_rs.meta.validate(schema)
            validators[path.stem] = jsonschema_rs.validator_for(schema, validate_formats=True)
        return validators

    def known_types(self) -> list[str]:
        return sorted(self._validators)

    def validate(self, event: CloudEvent) -> None:
        validator = self._validators.get(event.type)
        if validator is None:
            raise InvalidEvent(f"no schema for event type {event.type}")
        errors = sorted(
            validator.iter_errors(event.data), key=lambda error: list(error.instance_path)
        )
        if errors:
            where = "/".join(str(part) for part in errors[0].instance_path) or "(root)"
            raise InvalidEvent(f"{event.type} data invalid at {where}: {errors[0].message}")

    @staticmethod
    def envelope(raw: bytes) -> CloudEvent:
        """The envelope alone checked: enough to tell whether a reader handles the event."""
        try:
            return CloudEvent.model_validate_json(raw)
        except ValueError as exc:
            raise InvalidEvent(f"not a valid CloudEvent: {exc}") from exc

    def parse(self, raw: bytes) -> CloudEvent:
        """Envelope and data both checked; anything else is an InvalidEvent."""
        event = self.envelope(raw)
        self.validate(event)
        return event
