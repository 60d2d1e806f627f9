import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from usm_appraisals.models import Base


class AppraisalTemplate(Base):
    """A city's reusable appraisal structure: sections (each on a human-security dimension)
    with their prompts, default affected groups and the labels of the 1-5 scales.

    A template is a validated document edited as a whole; appraisals record which template
    they were made from. A used template is retired rather than deleted.
    """

    __tablename__ = "appraisal_templates"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'retired')", name="status"),
        UniqueConstraint("city", "name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    city: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    # [{"dimension", "title", "prompts": [...]}]
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    default_affected_groups: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    # {"severity": [5 labels], "likelihood": [...], "strength": [...]}
    scales: Mapped[dict[str, list[str]]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Optimistic concurrency: the ETag is `"<version>"`; every change increments it.
    version: Mapped[int] = mapped_column(Integer, default=1)
