"""Open311 documents, described for the OpenAPI (the routes render them in JSON or XML)."""

import uuid

from pydantic import BaseModel


class Open311ErrorItem(BaseModel):
    """Errors are a list of these (XML: `<errors><error><code/><description/></error>`)."""

    code: int
    description: str


class Open311Receipt(BaseModel):
    """The answer to POST requests. `token` is the report's tracking code: keep it."""

    service_request_id: uuid.UUID
    token: str
    service_notice: str | None = None
    account_id: str | None = None


class Open311Request(BaseModel):
    """A service request as the public sees it: sensitive ones carry no `lat`/`long`,
    description, media or notes, and `address` is their district."""

    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str | None
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    media_url: str | None
    lat: float | None = None
    long: float | None = None


class Open311Note(BaseModel):
    """One public update (the `notes` extension); sensitive requests carry no description."""

    datetime: str
    status: str
    workflow_status: str
    description: str | None


class Open311RequestWithNotes(Open311Request):
    notes: list[Open311Note]
