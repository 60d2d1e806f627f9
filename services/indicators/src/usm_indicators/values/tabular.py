"""Data values from CSV and SDMX-CSV 1.0 uploads, into the rows the JSON bulk load takes.

Both formats are read line by line into rows shaped like the JSON bulk load's, then
checked by the same code (`values.validation`); a problem names its line (the header is
line 1) and the column it is about.

SDMX-CSV follows the USM data-element structure (`USM:CITY_DATA(1.0)`): dimensions
DATA_ELEMENT, REF_AREA (a district code, or `_T` for the whole city), SEX (`F`, `M`, `O`,
`_T`), AGE (an age band such as `15-24` or `65+`, or `_T`), DISABILITY (`PD` with, `NPD`
without, `_T`), then TIME_PERIOD and OBS_VALUE; attributes OBS_STATUS (`A` normal →
verified, `P` provisional, `E` estimated) and SOURCE.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from usmkit.problems import FieldError

CSV_COLUMNS = (
    "data_element",
    "district_code",
    "period",
    "value",
    "sex",
    "age_band",
    "disability",
    "source",
    "quality",
)
CSV_REQUIRED = ("data_element", "period", "value")

SDMX_DATAFLOW = "USM:CITY_DATA(1.0)"
TOTAL_CODE = "_T"
SDMX_COLUMNS = (
    "DATAFLOW",
    "DATA_ELEMENT",
    "REF_AREA",
    "SEX",
    "AGE",
    "DISABILITY",
    "TIME_PERIOD",
    "OBS_VALUE",
    "OBS_STATUS",
    "SOURCE",
)
SDMX_REQUIRED = ("DATAFLOW", "DATA_ELEMENT", "REF_AREA", "TIME_PERIOD", "OBS_VALUE")
_SDMX_SEX = {"F": "female", "M": "male", "O": "other"}
_SDMX_DISABILITY = {"PD": "with_disability", "NPD": "without_disability"}
_SDMX_STATUS = {"A": "verified", "P": "provisional", "E": "estimated"}
# Which row field each SDMX column fills, so its problems name the column sent.
_SDMX_FIELD_COLUMN = {
    "data_element": "DATA_ELEMENT",
    "district_code": "REF_AREA",
    "sex": "SEX",
    "age_band": "AGE",
    "disability": "DISABILITY",
    "period": "TIME_PERIOD",
    "value": "OBS_VALUE",
    "quality": "OBS_STATUS",
    "source": "SOURCE",
}


# (line, the record by column) → the row's fields, or the line's problems with its codes.
ToFields = Callable[[int, dict[str, str]], tuple[dict[str, Any], list[FieldError]]]


@dataclass(frozen=True)
class ParsedRows:
    rows: list[dict[str, Any]]  # shaped as JSON bulk rows, not yet validated
    lines: list[int]  # the line each row came from
    problems: list[FieldError]
    columns: Mapping[str, str]  # the column each row field came from, where named otherwise


def line_loc(line: int, field: str | None = None) -> list[str | int]:
    return ["body", "line", line, *([field] if field else [])]


def _header_problems(
    header: list[str] | None, known: tuple[str, ...], required: tuple[str, ...]
) -> list[FieldError]:
    if not header:
        return [FieldError(loc=line_loc(1), msg="the upload is empty", type="missing_header")]
    problems = [
        FieldError(loc=line_loc(1, name), msg=f"unknown column {name!r}", type="unknown_column")
        for name in header
        if name not in known
    ]
    problems += [
        FieldError(loc=line_loc(1, name), msg=f"column {name!r} is missing", type="missing_column")
        for name in required
        if name not in header
    ]
    duplicates = {name for name in header if header.count(name) > 1}
    problems += [
        FieldError(loc=line_loc(1, name), msg=f"column {name!r} repeats", type="duplicate_column")
        for name in sorted(duplicates)
    ]
    return problems


def _as_row(fields: dict[str, Any]) -> dict[str, Any]:
    """A line's fields shaped as a JSON bulk row: empty cells left out, the dimensions
    under `disaggregation`. Validation (`values.validation`) comes later, for all rows."""
    disaggregation = {
        name: fields.pop(name) for name in ("sex", "age_band", "disability") if fields.get(name)
    }
    row = {name: value for name, value in fields.items() if value not in (None, "")}
    if disaggregation:
        row["disaggregation"] = disaggregation
    return row


def _records(text: str) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    records = []
    for values in reader:
        if header is None:
            header = [name.strip() for name in values]
            continue
        if values:  # blank lines carry nothing
            records.append((reader.line_num, values))
    return header, records


def _parse(
    text: str,
    known: tuple[str, ...],
    required: tuple[str, ...],
    to_fields: ToFields,
    column_of: Mapping[str, str],
) -> ParsedRows:
    try:
        header, records = _records(text)
    except csv.Error as error:
        return ParsedRows(
            [], [], [FieldError(loc=["body"], msg=str(error), type="bad_csv")], column_of
        )
    problems = _header_problems(header, known, required)
    if problems or header is None:
        return ParsedRows([], [], problems, column_of)
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    for line, values in records:
        if len(values) != len(header):
            problems.append(
                FieldError(
                    loc=line_loc(line),
                    msg=f"{len(values)} fields where the header has {len(header)}",
                    type="bad_csv",
                )
            )
            continue
        fields, field_problems = to_fields(line, dict(zip(header, values, strict=True)))
        problems += field_problems
        if field_problems:
            continue
        rows.append(_as_row(fields))
        lines.append(line)
    return ParsedRows(rows, lines, problems, column_of)


def _csv_fields(line: int, record: dict[str, str]) -> tuple[dict[str, Any], list[FieldError]]:
    return {name: value.strip() for name, value in record.items()}, []


def _sdmx_fields(line: int, record: dict[str, str]) -> tuple[dict[str, Any], list[FieldError]]:
    record = {name: value.strip() for name, value in record.items()}
    problems = []

    def coded(column: str, codes: dict[str, str]) -> str | None:
        code = record.get(column) or TOTAL_CODE
        if code == TOTAL_CODE:
            return None
        if code not in codes:
            problems.append(
                FieldError(
                    loc=line_loc(line, column),
                    msg=f"{code!r} is not one of {', '.join([*codes, TOTAL_CODE])}",
                    type="unknown_code",
                )
            )
        return codes.get(code)

    if record["DATAFLOW"] != SDMX_DATAFLOW:
        problems.append(
            FieldError(
                loc=line_loc(line, "DATAFLOW"),
                msg=f"this upload takes the dataflow {SDMX_DATAFLOW}",
                type="unknown_dataflow",
            )
        )
    status = record.get("OBS_STATUS") or "A"
    if status not in _SDMX_STATUS:
        problems.append(
            FieldError(
                loc=line_loc(line, "OBS_STATUS"),
                msg=f"{status!r} is not one of {', '.join(_SDMX_STATUS)}",
                type="unknown_code",
            )
        )
    fields: dict[str, Any] = {
        "data_element": record["DATA_ELEMENT"],
        "district_code": None if record["REF_AREA"] == TOTAL_CODE else record["REF_AREA"],
        "period": record["TIME_PERIOD"],
        "value": record["OBS_VALUE"],
        "sex": coded("SEX", _SDMX_SEX),
        "age_band": None if record.get("AGE", TOTAL_CODE) in ("", TOTAL_CODE) else record["AGE"],
        "disability": coded("DISABILITY", _SDMX_DISABILITY),
        "quality": _SDMX_STATUS.get(status),
        "source": record.get("SOURCE"),
    }
    return fields, problems


def parse_csv(text: str) -> ParsedRows:
    """Rows of a plain CSV with a header of `CSV_COLUMNS` names."""
    return _parse(text, CSV_COLUMNS, CSV_REQUIRED, _csv_fields, {})


def parse_sdmx_csv(text: str) -> ParsedRows:
    """Rows of an SDMX-CSV 1.0 file of the `USM:CITY_DATA(1.0)` dataflow."""
    return _parse(text, SDMX_COLUMNS, SDMX_REQUIRED, _sdmx_fields, _SDMX_FIELD_COLUMN)
