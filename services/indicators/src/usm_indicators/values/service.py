from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, cast

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile as StarletteUploadFile

from usm_indicators.catalogue.repository import CatalogueRepository
from usm_indicators.geography.repository import DistrictRepository
from usm_indicators.models import DataValue, city_directory
from usm_indicators.recompute.repository import RecomputeMarkRepository
from usm_indicators.values.repository import COPY_THRESHOLD, DataValueRepository
from usm_indicators.values.schemas import DataValueRead, DataValuesIngested, Disaggregation
from usm_indicators.values.tabular import line_loc, parse_csv, parse_sdmx_csv
from usm_indicators.values.validation import (
    JSON_ROWS,
    Catalogue,
    NotUsual,
    Origin,
    Record,
    bulk_rows,
    check_rows,
    row_position,
    usual_parts,
)
from usmkit.events.outbox import Outbox
from usmkit.problems import (
    FieldError,
    NotFound,
    PayloadTooLarge,
    ProblemError,
    UnprocessableContent,
)

DIMENSIONS = ("sex", "age_band", "disability")


def _codes(rows: Sequence[object]) -> set[str]:
    """The data element codes the rows name; a field that is not text is its row's problem.
    Taken out in C (itemgetter) when every row is an object with the field, as usual."""
    try:
        named = set(map(itemgetter("data_element"), cast(Sequence[Any], rows)))
    except (KeyError, TypeError):  # a row without it, not an object, or a list or object in it
        return {
            raw["data_element"]
            for raw in rows
            if type(raw) is dict and type(raw.get("data_element")) is str
        }
    return {code for code in named if type(code) is str}


async def _store_usual(
    repository: DataValueRepository, city: str, rows: Sequence[object], catalogue: Catalogue
) -> list[Record] | None:
    """The records of a large load whose rows are all usual (`usual_records`), stored while
    they are checked, a part at a time; None, with nothing stored, for any other load."""
    if len(rows) < COPY_THRESHOLD:
        return None
    try:
        return await repository.store_parts(usual_parts(city, rows, catalogue))
    except NotUsual:
        return None


async def ingest_rows(
    *,
    session: AsyncSession,
    outbox: Outbox,
    city: str,
    rows: Sequence[object],
    origin: Origin = JSON_ROWS,
    problems: Sequence[FieldError] = (),
    submitted: int | None = None,
) -> DataValuesIngested:
    """Validate every row, then store all of them (upserted) or, if any is bad, none.

    `rows` are parsed JSON (a bulk body's rows, or an upload's lines as fields). `problems`
    already found (by an upload's parser) are reported with the rows' own, in row order, so
    the caller learns everything wrong in one answer; `submitted` counts the rows (lines)
    sent, parsed or not."""
    if not await city_directory.exists(session, city):
        raise NotFound(f"No city {city!r}.")
    catalogue = Catalogue(
        elements={
            element.code: element
            for element in await CatalogueRepository(session).data_elements(_codes(rows))
        },
        districts=frozenset(await DistrictRepository(session).codes_in_city(city)),
    )
    repository = DataValueRepository(session)
    records = None if problems else await _store_usual(repository, city, rows, catalogue)
    if records is None:
        # Any other load is checked whole before anything is stored: every problem is found.
        checked = check_rows(city, rows, catalogue, origin)
        if problems or checked.problems:
            found = sorted([*problems, *checked.problems], key=row_position)
            raise UnprocessableContent(
                f"{len({tuple(p.loc[:3]) for p in found})} of {submitted or len(rows)} rows "
                "are not valid; nothing was stored.",
                errors=found,
            )
        records = checked.records
        await repository.store(records)
    # Columns taken out in C (itemgetter): three passes over 10,000 records.
    result = DataValuesIngested(
        stored=len(records),
        data_elements=sorted(set(map(itemgetter(1), records))),
        periods=sorted(set(map(itemgetter(3), records))),
        districts=sorted(
            {code or None for code in set(map(itemgetter(2), records))},
            key=lambda code: code or "",
        ),
    )
    await announce_new_values(
        session=session,
        outbox=outbox,
        city=city,
        data_elements=result.data_elements,
        periods=result.periods,
        districts=result.districts,
    )
    return result


async def announce_new_values(
    *,
    session: AsyncSession,
    outbox: Outbox,
    city: str,
    data_elements: Sequence[str],
    periods: Sequence[str],
    districts: Sequence[str | None],
) -> None:
    """`values.updated` for values the caller's transaction wrote, which this service
    consumes to recompute the periods' alerts and aggregates. It names that transaction
    (`written_in`), so that a recompute whose snapshot already saw it is skipped."""
    await outbox.record(
        session,
        "values.updated",
        subject=city,
        city=city,
        data={
            "city": city,
            "data_elements": list(data_elements),
            "periods": list(periods),
            "districts": list(districts),
            "written_in": await RecomputeMarkRepository(session).current_transaction(),
        },
    )


async def ingest_body(
    *, session: AsyncSession, outbox: Outbox, city: str, body: object
) -> DataValuesIngested:
    """A JSON bulk load: `{"rows": [...]}`, every row checked, all stored or none."""
    return await ingest_rows(session=session, outbox=outbox, city=city, rows=bulk_rows(body))


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
    return await ingest_rows(
        session=session,
        outbox=outbox,
        city=city,
        rows=parsed.rows,
        origin=Origin(lambda index: line_loc(lines[index]), parsed.columns),
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
