"""What intake reads on every report and what seldom changes, kept in each process.

A category's attribute definitions and a city's district boundaries change rarely, but
every report needs them. Each process keeps the last version it read; the statement that
writes a report also checks that those versions are still current
(`ReportRepository.insert_submitted`), so a change made through another replica costs
the next report one reload, never a report checked against an old category or placed
in an old district. Nothing expires by time.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.categories.repository import CategoryRepository
from usm_reports.config import ReportsSettings
from usm_reports.districts.service import CityDistricts, load_city_districts


@dataclass(frozen=True, kw_only=True)
class CategoryRule:
    """What intake needs of one version of an active category."""

    city: str
    code: str
    version: int
    sensitivity: str
    attributes: tuple[dict[str, Any], ...]


class Intake:
    """One per app: cached category rules and district copies, and the duplicate rule."""

    def __init__(self, *, duplicate_radius_m: float, duplicate_window: timedelta) -> None:
        self.duplicate_radius_m = duplicate_radius_m
        self.duplicate_window = duplicate_window
        # Bounded by the database: only categories and cities that exist are kept.
        self._categories: dict[tuple[str, str], CategoryRule] = {}
        self._districts: dict[str, CityDistricts] = {}

    @classmethod
    def from_settings(cls, settings: ReportsSettings) -> "Intake":
        return cls(
            duplicate_radius_m=settings.duplicate_radius_m,
            duplicate_window=timedelta(hours=settings.duplicate_window_hours),
        )

    def holds(self, city: str, category_code: str, *, located: bool) -> bool:
        """Whether a report of this category needs nothing read from the database: the
        category, and for a located report the city's district copy, are cached."""
        return (city, category_code) in self._categories and (
            not located or city in self._districts
        )

    async def category(
        self, session: AsyncSession, city: str, code: str, *, fresh: bool = False
    ) -> CategoryRule | None:
        """The active category, from the cache unless `fresh`; a fresh read is kept as it
        is until the transaction ends. None when there is no such active category."""
        key = (city, code)
        if not fresh and key in self._categories:
            return self._categories[key]
        category = await CategoryRepository(session).get_active(city, code, for_share=fresh)
        if category is None:
            self._categories.pop(key, None)
            return None
        rule = CategoryRule(
            city=city,
            code=code,
            version=category.version,
            sensitivity=category.sensitivity,
            attributes=tuple(category.attributes),
        )
        self._categories[key] = rule
        return rule

    async def districts(
        self, session: AsyncSession, city: str, *, fresh: bool = False
    ) -> CityDistricts:
        """The city's district copy, from the cache unless `fresh`; a fresh read is kept
        as it is until the transaction ends."""
        if not fresh and city in self._districts:
            return self._districts[city]
        districts = await load_city_districts(session=session, city=city, lock=fresh)
        self._districts[city] = districts
        return districts


async def get_intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


IntakeDep = Annotated[Intake, Depends(get_intake)]
