from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.catalogue.repository import CatalogueRepository
from usm_indicators.computation.engine import Cell, DataCube
from usm_indicators.geography.repository import DistrictRepository
from usm_indicators.values.repository import DataValueRepository


async def load_cube(
    session: AsyncSession, city: str, codes: set[str], periods: Iterable[str]
) -> DataCube:
    """The city's values of these data elements in these periods, ready to compute."""
    elements = await CatalogueRepository(session).data_elements(codes)
    districts = await DistrictRepository(session).all_in_city(city)
    cube = DataCube(
        aggregations={element.code: element.aggregation for element in elements},
        districts=[district.code for district in districts],
    )
    for row in await DataValueRepository(session).for_computation(city, codes, periods):
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
    return cube
