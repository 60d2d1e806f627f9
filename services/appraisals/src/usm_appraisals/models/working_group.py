import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from usm_appraisals.models import Base


class WorkingGroup(Base):
    """A city's Working Group: the people who appraise an area and follow its plan."""

    __tablename__ = "working_groups"
    __table_args__ = (CheckConstraint("status IN ('active', 'inactive')", name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    city: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # District codes of the group's area, as indicators names them.
    districts: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    mandate: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Optimistic concurrency: the ETag is `"<version>"`; every change increments it.
    version: Mapped[int] = mapped_column(Integer, default=1)


class Member(Base):
    """A member of a Working Group.

    Gender, age band and disability are self-declared, optional, stored only with consent and
    used only for participation statistics; they and the contact are shown only to principals
    with `appraisals:contacts:read` in the city.
    """

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint(
            "sector IN ('local_authority', 'civil_society', 'resident', 'academia', "
            "'private_sector', 'community_leader')",
            name="sector",
        ),
        CheckConstraint("role IN ('facilitator', 'member')", name="role"),
        CheckConstraint(
            "(consent_given_at IS NULL) = (consent_scope IS NULL)", name="consent_complete"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    working_group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), index=True
    )
    city: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(30))
    role: Mapped[str] = mapped_column(String(20))
    gender: Mapped[str | None] = mapped_column(String(30))
    age_band: Mapped[str | None] = mapped_column(String(20))
    disability: Mapped[bool | None] = mapped_column(Boolean)
    consent_given_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_scope: Mapped[list[str] | None] = mapped_column(ARRAY(String(40)))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class GroupSession(Base):
    """A meeting of a Working Group; attendance is kept in `session_attendance`."""

    __tablename__ = "group_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    working_group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), index=True
    )
    city: Mapped[str] = mapped_column(String(100))
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(300))
    agenda: Mapped[str] = mapped_column(Text)
    minutes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Attendance(Base):
    """One member present at one session."""

    __tablename__ = "session_attendance"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("group_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
