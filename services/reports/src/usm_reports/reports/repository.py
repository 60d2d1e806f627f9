import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.models import Report
from usmkit.pagination import PageParams
from usmkit.problems import BadRequest


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, report: Report) -> Report:
        self.session.add(report)
        await self.session.flush()
        return report

    async def get_by_tracking_code_hash(self, tracking_code_hash: str) -> Report | None:
        query = select(Report).where(Report.tracking_code_hash == tracking_code_hash)
        return (await self.session.scalars(query)).one_or_none()

    async def list(self, params: PageParams, *, city: str) -> Sequence[Report]:
        query = (
            select(Report)
            .where(Report.city == city)
            .order_by(Report.submitted_at.desc(), Report.id.desc())
            .limit(params.limit + 1)
        )
        if params.after:
            try:
                submitted_at, report_id = params.after
                after = (datetime.fromisoformat(str(submitted_at)), uuid.UUID(str(report_id)))
            except ValueError as exc:
                raise BadRequest("The cursor is not valid; start again without one.") from exc
            query = query.where(tuple_(Report.submitted_at, Report.id) < after)
        return (await self.session.scalars(query)).all()
