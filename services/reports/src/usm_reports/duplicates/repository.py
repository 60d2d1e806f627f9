import functools
import math
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Double,
    ScalarSelect,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.models import Report

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LATITUDE = 111_320.0
# Keeps the longitude span finite near the poles (no member city is there).
MIN_COS_LATITUDE = 0.01


def _box(latitude: float, radius_m: float) -> tuple[float, float]:
    """Half the height and width, in degrees, of the box holding a `radius_m` circle."""
    latitude_span = radius_m / METRES_PER_DEGREE_LATITUDE
    return latitude_span, latitude_span / max(math.cos(math.radians(latitude)), MIN_COS_LATITUDE)


def _same_place(report: Report, *, radius_m: float) -> list[ColumnElement[bool]]:
    """Conditions on other reports: inside the box around `report` that holds its
    `radius_m` circle (by coordinates), or with the same address (address-only reports)."""
    if report.latitude is not None and report.longitude is not None:
        latitude_span, longitude_span = _box(report.latitude, radius_m)
        return [
            Report.latitude.between(
                report.latitude - latitude_span, report.latitude + latitude_span
            ),
            Report.longitude.between(
                report.longitude - longitude_span, report.longitude + longitude_span
            ),
        ]
    if report.address_string is not None:
        return [func.lower(Report.address_string) == report.address_string.lower()]
    if report.address_id is not None:
        return [Report.address_id == report.address_id]
    return []


# How a report is placed, as far as finding its duplicates goes.
Place = Literal["point", "address_string", "address_id"]


def place_of(
    *, latitude: float | None, longitude: float | None, address_string: str | None
) -> Place:
    """Every report has one of the three (`ck_reports_located`)."""
    if latitude is not None and longitude is not None:
        return "point"
    if address_string is not None:
        return "address_string"
    return "address_id"


@functools.cache
def earliest_candidate(place: Place) -> ScalarSelect[uuid.UUID]:
    """The id of the earliest unmerged report of the same city, category and sensitivity
    submitted since `:link_since` within `:link_radius_m` of the new report (or at its
    address): what intake links a new report to. It walks the (city, category_code,
    submitted_at, id) index from `:link_since` and stops at the first match, however
    large the table grew after the plan was made (migration 0008).

    Built once per kind of place, with bind parameters named after the new report's
    columns (`:city`, `:latitude`, ...) and `candidate_parameters`' `link_*`: building a
    statement costs more CPU than running it."""
    query = select(Report.id).where(
        Report.city == bindparam("city", type_=Report.city.type),
        Report.category_code == bindparam("category_code", type_=Report.category_code.type),
        Report.sensitivity == bindparam("sensitivity", type_=Report.sensitivity.type),
        Report.merged_into_id.is_(None),
        Report.submitted_at >= bindparam("link_since", type_=Report.submitted_at.type),
    )
    if place == "point":
        latitude = bindparam("latitude", type_=Double)
        longitude = bindparam("longitude", type_=Double)
        # Haversine in SQL, the formula of `duplicates.service.distance_m`, so the link
        # and the candidate list agree; the box before it is what the index helps with.
        half_d_phi = func.radians(Report.latitude - latitude) / 2
        half_d_lambda = func.radians(Report.longitude - longitude) / 2
        h = func.power(func.sin(half_d_phi), 2) + bindparam(
            "link_cos_latitude", type_=Double
        ) * func.cos(func.radians(Report.latitude)) * func.power(func.sin(half_d_lambda), 2)
        query = query.where(
            Report.latitude.between(
                latitude - bindparam("link_latitude_span", type_=Double),
                latitude + bindparam("link_latitude_span", type_=Double),
            ),
            Report.longitude.between(
                longitude - bindparam("link_longitude_span", type_=Double),
                longitude + bindparam("link_longitude_span", type_=Double),
            ),
            2 * EARTH_RADIUS_M * func.asin(func.sqrt(h))
            <= bindparam("link_radius_m", type_=Double),
        )
    elif place == "address_string":
        query = query.where(
            func.lower(Report.address_string)
            == func.lower(bindparam("address_string", type_=Report.address_string.type))
        )
    else:
        query = query.where(
            Report.address_id == bindparam("address_id", type_=Report.address_id.type)
        )
    return query.order_by(Report.submitted_at, Report.id).limit(1).correlate(None).scalar_subquery()


def candidate_parameters(
    *, latitude: float | None, radius_m: float, since: datetime
) -> dict[str, Any]:
    """The `link_*` parameters of `earliest_candidate` for a report at `latitude`."""
    parameters: dict[str, Any] = {"link_since": since}
    if latitude is not None:
        latitude_span, longitude_span = _box(latitude, radius_m)
        parameters |= {
            "link_latitude_span": latitude_span,
            "link_longitude_span": longitude_span,
            "link_cos_latitude": math.cos(math.radians(latitude)),
            "link_radius_m": radius_m,
        }
    return parameters


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
        query = (
            query.where(*_same_place(report, radius_m=radius_m))
            .order_by(Report.submitted_at, Report.id)
            .limit(limit)
        )
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
