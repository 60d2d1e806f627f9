import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.models import SensitiveReadAudit
from usmkit.pagination import PageParams, cursor_parts


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_all(self, entries: Sequence[dict[str, object]]) -> None:
        if entries:
            await self.session.execute(insert(SensitiveReadAudit), list(entries))

    async def list(
        self,
        params: PageParams,
        *,
        city: str,
        report_id: uuid.UUID | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Sequence[SensitiveReadAudit]:
        """Newest first."""
        query = (
            select(SensitiveReadAudit)
            .where(SensitiveReadAudit.city == city)
            .order_by(SensitiveReadAudit.read_at.desc(), SensitiveReadAudit.id.desc())
            .limit(params.limit + 1)
        )
        if report_id is not None:
            query = query.where(SensitiveReadAudit.report_id == report_id)
        if actor is not None:
            query = query.where(SensitiveReadAudit.actor == actor)
        if since is not None:
            query = query.where(SensitiveReadAudit.read_at >= since)
        if until is not None:
            query = query.where(SensitiveReadAudit.read_at < until)
        if params.after:
            read_at, entry_id = cursor_parts(params.after, datetime.fromisoformat, uuid.UUID)
            query = query.where(
                tuple_(SensitiveReadAudit.read_at, SensitiveReadAudit.id) < (read_at, entry_id)
            )
        return (await self.session.scalars(query)).all()
