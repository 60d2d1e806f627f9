import uuid

from pydantic import BaseModel, Field


class SmsReply(BaseModel):
    """What to text back to the sender, and what was created."""

    reply: str = Field(
        description="The text for the SMS gateway to send back; it carries the tracking code.",
        examples=["Thank you. Your report is received. Tracking code: x7Qp... Keep it."],
    )
    report_id: uuid.UUID
    tracking_code: str = Field(description="Also in `reply`: the only way to follow the report.")
