"""Public map aggregates (ARCHITECTURE §5): counts per H3 cell and per district, with
small cells suppressed. Sensitive reports never appear in cells, only in district counts.
"""

from collections import Counter

from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.districts.repository import DistrictRepository
from usm_reports.maps.repository import MapRepository
from usm_reports.maps.schemas import CellCount, CellMap, DistrictCount, DistrictMap
from usm_reports.reports.filters import ReportFilter
from usm_reports.reports.privacy import cell_centre, parent_cell
from usmkit.suppression import is_small_cell


def published(count: int, threshold: int) -> tuple[int | None, bool]:
    """(the count as published, whether it is suppressed)."""
    if is_small_cell(count, threshold=threshold):
        return None, True
    return count, False


async def cell_map(
    *,
    session: AsyncSession,
    city: str,
    resolution: int,
    report_filter: ReportFilter,
    threshold: int,
) -> CellMap:
    """Normal reports counted per cell of `resolution` (at most 9, the public grid)."""
    rows = await MapRepository(session).count_normal_by_cell(city, report_filter)
    counts: Counter[str] = Counter()
    for cell, count in rows:
        # The query keeps located reports only.
        assert cell is not None
        counts[parent_cell(cell, resolution)] += count
    cells = []
    for cell in sorted(counts):
        shown, suppressed = published(counts[cell], threshold)
        latitude, longitude = cell_centre(cell)
        cells.append(
            CellCount(
                cell=cell,
                latitude=latitude,
                longitude=longitude,
                count=shown,
                suppressed=suppressed,
            )
        )
    return CellMap(city=city, resolution=resolution, suppression_threshold=threshold, cells=cells)


async def district_map(
    *, session: AsyncSession, city: str, report_filter: ReportFilter, threshold: int
) -> DistrictMap:
    """All reports, sensitive included, counted per district."""
    counts: dict[str | None, int] = {
        district_code: count
        for district_code, count in await MapRepository(session).count_by_district(
            city, report_filter
        )
    }
    districts = await DistrictRepository(session).list_for_city(city)
    entries = []
    for district in districts:
        count, suppressed = published(counts.pop(district.code, 0), threshold)
        entries.append(
            DistrictCount(
                district_code=district.code,
                district_name=district.name,
                count=count,
                suppressed=suppressed,
            )
        )
    # Reports outside every district, and any of districts since withdrawn, go together.
    outside = sum(counts.values())
    if outside:
        count, suppressed = published(outside, threshold)
        entries.append(
            DistrictCount(
                district_code=None, district_name=None, count=count, suppressed=suppressed
            )
        )
    return DistrictMap(city=city, suppression_threshold=threshold, districts=entries)
