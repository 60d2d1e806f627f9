from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.catalogue.repository import CatalogueRepository
from usm_indicators.computation.engine import Cell, DataCube
from usm_indicators.geography.repository import DistrictRepository
from usm_indicators.models.report_count import REPORTS_ELEMENT
from usm_indicators.report_counts.repository import ReportCountRepository
from usm_indicators.values.repository import DataValueRepository


async def load_cube(
    session: AsyncSession,
    city: str,
    codes: set[str],
    periods: Iterable[str],
    *,
    district_code: str | None = None,
) -> DataCube:
    """The city's values of these data elements in these periods, ready to compute; only
    one district's when `district_code` is given (the cube then cannot compute the city).

    The report counts are the values of `REPORTS_ELEMENT` (district and month totals) in
    every cell the city did not post a value for: a posted value wins."""
    needed = set(periods)
    elements = await CatalogueRepository(session).data_elements(codes)
    districts = (
        list(await DistrictRepository(session).codes_in_city(city))
        if district_code is None
        else [district_code]
    )
    cube = DataCube(
        aggregations={element.code: element.aggregation for element in elements},
        districts=districts,
    )
    rows = await DataValueRepository(session).for_computation(
        city, codes, needed, district_code=district_code
    )
    for row in rows:
        cube.add(
            Cell(
                row.data_element_code,
                row.district_code,
                row.period,
                row.sex,
                row.age_band,
                row.disability,
            ),
            row.value,
        )
    if REPORTS_ELEMENT in codes:
        counted = await ReportCountRepository(session).for_computation(
            city, needed, district_code=district_code
        )
        for district, period, count in counted:
            cell = Cell(REPORTS_ELEMENT, district, period)
            if cell not in cube.values:
                cube.add(cell, count)
    return cube
