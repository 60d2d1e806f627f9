import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SensitiveReadRead(BaseModel):
    """One logged reading of raw sensitive data: who, when, what and in which request."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    city: str
    report_id: uuid.UUID
    actor: str = Field(description="The subject of the staff member (or machine) who read.")
    client_id: str | None = Field(description="The API client the read came through, if any.")
    action: str = Field(
        description="What revealed the data: `report.read`, `report.list`, `report.status`, "
        "`report.history`, `report.merge`, `duplicates.list`, `contact.read` or `export.staff`.",
        examples=["report.read"],
    )
    request_id: str | None = Field(description="The gateway's request id (`X-Request-ID`).")
    read_at: datetime
