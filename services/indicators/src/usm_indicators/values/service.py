from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.catalogue.repository import CatalogueRepository
from usm_indicators.geography.repository import DistrictRepository
from usm_indicators.models import DataElement, DataValue, city_directory
from usm_indicators.models.data_value import TOTAL, WHOLE_CITY
from usm_indicators.values.repository import DataValueRepository
from usm_indicators.values.schemas import (
    DataValueCreate,
    DataValueRead,
    DataValuesIngested,
    Disaggregation,
)
from usmkit.events.outbox import Outbox
from usmkit.periods import PeriodError, parse_period
from usmkit.problems import FieldError, NotFound, UnprocessableContent

DIMENSIONS = ("sex", "age_band", "disability")


def _row_problems(
    index: int, row: DataValueCreate, elements: dict[str, DataElement], districts: set[str]
) -> list[FieldError]:
    def problem(field: str, msg: str, kind: str) -> FieldError:
        return FieldError(loc=["body", "rows", index, field], msg=msg, type=kind)

    problems = []
    element = elements.get(row.data_element)
    if element is None:
        problems.append(
            problem("data_element", f"no data element {row.data_element!r}", "unknown_data_element")
        )
    if row.district_code is not None and row.district_code not in districts:
        problems.append(
            problem(
                "district_code",
                f"the city has no district {row.district_code!r}",
                "unknown_district",
            )
        )
    try:
        parse_period(row.period)
    except PeriodError as error:
        problems.append(problem("period", str(error), "bad_period"))
    if row.value < 0:
        problems.append(
            problem(
                "value", "values are counts or measures and cannot be negative", "impossible_value"
            )
        )
    if element is not None:
        if element.value_type == "integer" and row.value != int(row.value):
            problems.append(
                problem(
                    "value", f"{element.code} is a count: whole numbers only", "impossible_value"
                )
            )
        if element.value_type == "percentage" and row.value > 100:
            problems.append(problem("value", "a percentage cannot exceed 100", "impossible_value"))
        given = row.disaggregation.model_dump(exclude_none=True) if row.disaggregation else {}
        for dimension in given:
            if dimension not in element.disaggregations:
                problems.append(
                    problem(
                        "disaggregation",
                        f"{element.code} is not disaggregated by {dimension}",
                        "disaggregation_not_allowed",
                    )
                )
    return problems


def _stored_row(city: str, row: DataValueCreate) -> dict[str, Any]:
    disaggregation = row.disaggregation or Disaggregation()
    return {
        "city": city,
        "data_element_code": row.data_element,
        "district_code": row.district_code or WHOLE_CITY,
        "period": row.period,
        "sex": disaggregation.sex or TOTAL,
        "age_band": disaggregation.age_band or TOTAL,
        "disability": disaggregation.disability or TOTAL,
        "value": Decimal(str(row.value)),
        "source": row.source,
        "quality": row.quality,
    }


async def ingest_values(
    *, session: AsyncSession, outbox: Outbox, city: str, rows: list[DataValueCreate]
) -> DataValuesIngested:
    """Validate every row, then store all of them (upserted) or, if any is bad, none."""
    if not await city_directory.exists(session, city):
        raise NotFound(f"No city {city!r}.")
    elements = {
        element.code: element
        for element in await CatalogueRepository(session).data_elements(
            {row.data_element for row in rows}
        )
    }
    districts = {district.code for district in await DistrictRepository(session).all_in_city(city)}
    problems: list[FieldError] = []
    unique: dict[tuple[str, ...], tuple[int, dict[str, Any]]] = {}
    for index, row in enumerate(rows):
        row_problems = _row_problems(index, row, elements, districts)
        problems += row_problems
        if row_problems:
            continue
        stored = _stored_row(city, row)
        key = tuple(
            stored[name] for name in ("data_element_code", "district_code", "period", *DIMENSIONS)
        )
        earlier = unique.get(key)
        if earlier is None:
            unique[key] = (index, stored)
        elif (earlier[1]["value"], earlier[1]["source"], earlier[1]["quality"]) != (
            stored["value"],
            stored["source"],
            stored["quality"],
        ):
            problems.append(
                FieldError(
                    loc=["body", "rows", index],
                    msg=f"conflicts with row {earlier[0]}: same data element, district, "
                    "period and disaggregation with another value",
                    type="conflicting_duplicate",
                )
            )
    if problems:
        raise UnprocessableContent(
            f"{len({tuple(p.loc[:3]) for p in problems})} of {len(rows)} rows are not valid; "
            "nothing was stored.",
            errors=problems,
        )
    stored_rows = [stored for _, stored in unique.values()]
    await DataValueRepository(session).upsert_many(stored_rows)
    result = DataValuesIngested(
        stored=len(stored_rows),
        data_elements=sorted({row["data_element_code"] for row in stored_rows}),
        periods=sorted({row["period"] for row in stored_rows}),
        districts=sorted(
            {row["district_code"] or None for row in stored_rows},
            key=lambda code: code or "",
        ),
    )
    await outbox.record(
        session,
        "values.updated",
        subject=city,
        city=city,
        data={"city": city, **result.model_dump(exclude={"stored"})},
    )
    return result


def to_read(value: DataValue) -> DataValueRead:
    return DataValueRead(
        data_element=value.data_element_code,
        district_code=value.district_code or None,
        period=value.period,
        disaggregation=Disaggregation.model_validate(
            {name: getattr(value, name) or None for name in DIMENSIONS}
        ),
        value=float(value.value),
        source=value.source,
        quality=value.quality,
        updated_at=value.updated_at,
    )
