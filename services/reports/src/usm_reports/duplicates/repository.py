import math
import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.models import Report

METRES_PER_DEGREE_LATITUDE = 111_320.0
# Keeps the longitude span finite near the poles (no member city is there).
MIN_COS_LATITUDE = 0.01


class DuplicateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def near(
        self,
        report: Report,
        *,
        radius_m: float,
        window: timedelta,
        include_sensitive: bool,
        limit: int,
    ) -> Sequence[Report]:
        """Reports of the same city and category submitted within `window` of `report`, not
        merged themselves, and inside the box around `report` that holds its `radius_m`
        circle (by coordinates) or with the same address (for address-only reports). The
        caller measures the exact distance."""
        query = select(Report).where(
            Report.city == report.city,
            Report.category_code == report.category_code,
            Report.id != report.id,
            Report.merged_into_id.is_(None),
            Report.submitted_at.between(report.submitted_at - window, report.submitted_at + window),
        )
        if not include_sensitive:
            query = query.where(Report.sensitivity == "normal")
        if report.latitude is not None and report.longitude is not None:
            latitude_span = radius_m / METRES_PER_DEGREE_LATITUDE
            longitude_span = latitude_span / max(
                math.cos(math.radians(report.latitude)), MIN_COS_LATITUDE
            )
            query = query.where(
                Report.latitude.between(
                    report.latitude - latitude_span, report.latitude + latitude_span
                ),
                Report.longitude.between(
                    report.longitude - longitude_span, report.longitude + longitude_span
                ),
            )
        elif report.address_string is not None:
            query = query.where(func.lower(Report.address_string) == report.address_string.lower())
        elif report.address_id is not None:
            query = query.where(Report.address_id == report.address_id)
        query = query.order_by(Report.submitted_at, Report.id).limit(limit)
        return (await self.session.scalars(query)).all()

    async def get_pair_for_update(
        self, first_id: uuid.UUID, second_id: uuid.UUID
    ) -> dict[uuid.UUID, Report]:
        """Both reports locked, always in id order so two merges never deadlock."""
        query = (
            select(Report)
            .where(Report.id.in_([first_id, second_id]))
            .order_by(Report.id)
            .with_for_update()
        )
        return {report.id: report for report in (await self.session.scalars(query)).all()}

    async def repoint(self, from_id: uuid.UUID, to_id: uuid.UUID) -> None:
        """The duplicates of a report that becomes a duplicate follow it to its primary."""
        await self.session.execute(
            update(Report)
            .where(Report.merged_into_id == from_id)
            .values(merged_into_id=to_id, version=Report.version + 1)
        )
