from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile as StarletteUploadFile

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
from usm_indicators.values.tabular import line_loc, parse_csv, parse_sdmx_csv
from usmkit.events.outbox import Outbox
from usmkit.periods import PeriodError, parse_period
from usmkit.problems import (
    FieldError,
    NotFound,
    PayloadTooLarge,
    ProblemError,
    UnprocessableContent,
)

DIMENSIONS = ("sex", "age_band", "disability")


# Where a row is in the request, for its problems: ["body", "rows", index] for JSON,
# ["body", "line", line] for uploads.
Locate = Callable[[int], list[str | int]]


def json_row(index: int) -> list[str | int]:
    return ["body", "rows", index]


def _row_problems(
    where: list[str | int],
    row: DataValueCreate,
    elements: dict[str, DataElement],
    districts: set[str],
) -> list[FieldError]:
    def problem(field: str, msg: str, kind: str) -> FieldError:
        return FieldError(loc=[*where, field], msg=msg, type=kind)

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
    *,
    session: AsyncSession,
    outbox: Outbox,
    city: str,
    rows: list[DataValueCreate],
    locate: Locate = json_row,
    problems: list[FieldError] | None = None,
    submitted: int | None = None,
) -> DataValuesIngested:
    """Validate every row, then store all of them (upserted) or, if any is bad, none.

    `problems` already found (by an upload's parser) are reported with the rows' own, so
    the caller learns everything wrong in one answer; `submitted` counts the rows (lines)
    sent, parsed or not."""
    if not await city_directory.exists(session, city):
        raise NotFound(f"No city {city!r}.")
    elements = {
        element.code: element
        for element in await CatalogueRepository(session).data_elements(
            {row.data_element for row in rows}
        )
    }
    districts = {district.code for district in await DistrictRepository(session).all_in_city(city)}
    problems = list(problems or [])
    unique: dict[tuple[str, ...], tuple[int, dict[str, Any]]] = {}
    for index, row in enumerate(rows):
        row_problems = _row_problems(locate(index), row, elements, districts)
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
                    loc=locate(index),
                    msg=f"conflicts with {' '.join(map(str, locate(earlier[0])[1:]))}: same "
                    "data element, district, period and disaggregation with another value",
                    type="conflicting_duplicate",
                )
            )
    if problems:
        raise UnprocessableContent(
            f"{len({tuple(p.loc[:3]) for p in problems})} of {submitted or len(rows)} rows "
            "are not valid; nothing was stored.",
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


SDMX_CSV_MEDIA_TYPE = "application/vnd.sdmx.data+csv"
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
MAX_UPLOAD_LINES = 200_000


class UnsupportedMediaType(ProblemError):
    status = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


@dataclass(frozen=True)
class Upload:
    text: str
    sdmx: bool  # SDMX-CSV rather than plain CSV


def _kind(media_type: str) -> bool | None:
    """True for SDMX-CSV, False for CSV, None for anything else."""
    essence = media_type.split(";")[0].strip().lower()
    if essence == SDMX_CSV_MEDIA_TYPE:
        return True
    if essence in ("text/csv", "application/csv"):
        return False
    return None


def _text(raw: bytes) -> str:
    if len(raw) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"An upload may be at most {MAX_UPLOAD_BYTES} bytes.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnprocessableContent(
            "The upload is not UTF-8 text.",
            errors=[FieldError(loc=["body"], msg=str(error), type="not_utf8")],
        ) from error


async def read_upload(request: Request) -> Upload:
    """The CSV or SDMX-CSV text of a request, sent as the body or a form's `file` part."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"An upload may be at most {MAX_UPLOAD_BYTES} bytes.")
    media_type = request.headers.get("content-type", "")
    if media_type.lower().startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=5) as form:
            file = form.get("file")
            if not isinstance(file, StarletteUploadFile):
                raise UnprocessableContent(
                    "Send the file as the form's `file` part.",
                    errors=[FieldError(loc=["body", "file"], msg="missing", type="missing")],
                )
            chosen = form.get("format")
            sdmx = (
                chosen == "sdmx-csv"
                if chosen in ("csv", "sdmx-csv")
                else _kind(file.content_type or "text/csv")
            )
            raw = await file.read(MAX_UPLOAD_BYTES + 1)
    else:
        sdmx = _kind(media_type)
        raw = await request.body()
    if sdmx is None:
        raise UnsupportedMediaType(
            f"Send text/csv or {SDMX_CSV_MEDIA_TYPE}, as the body or a form's `file` part."
        )
    return Upload(_text(raw), sdmx)


async def ingest_upload(
    *, session: AsyncSession, outbox: Outbox, city: str, upload: Upload
) -> DataValuesIngested:
    """Parse the upload line by line, then load it as a JSON bulk load is: all or nothing,
    every problem reported with its line."""
    parsed = parse_sdmx_csv(upload.text) if upload.sdmx else parse_csv(upload.text)
    if not parsed.rows and not parsed.problems:
        raise UnprocessableContent(
            "The upload has a header but no data lines.",
            errors=[FieldError(loc=line_loc(2), msg="no data lines", type="empty_upload")],
        )
    if len(parsed.rows) > MAX_UPLOAD_LINES:
        raise PayloadTooLarge(f"An upload may have at most {MAX_UPLOAD_LINES} lines.")
    lines = parsed.lines
    return await ingest_values(
        session=session,
        outbox=outbox,
        city=city,
        rows=parsed.rows,
        locate=lambda index: line_loc(lines[index]),
        problems=parsed.problems,
        submitted=len(parsed.rows) + len({tuple(p.loc[:3]) for p in parsed.problems}),
    )


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
