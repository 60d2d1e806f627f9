"""Validation of data values: one path for the JSON bulk load and CSV/SDMX-CSV uploads.

Rows arrive as plain JSON-like objects (the parsed JSON body, or an upload line's fields)
and leave as records in `RECORD_COLUMNS` order, ready for COPY, or as problems naming the
row and field as the caller sent them.

Speed matters (a bulk load is 10,000 rows, and the target is 100,000 values/s), so rows
are never turned into models when they need not be:
- `usual_records`: a load whose rows are all plain (JSON types, or numbers as decimal
  text as uploads send them; no disaggregation; each cell once) and valid is checked
  column by column, each distinct value once; a large load a part at a time
  (`usual_parts`), each part checked while PostgreSQL takes in the one before;
- otherwise `check_row_by_row`: a row of the usual shape is checked by `_canonical` in
  plain Python, anything else (valid in an unusual way, or not valid) by the
  `DataValueCreate` model, then the catalogue checks (`_catalogue_problems`) run on it.
The model stays the one definition of what a row may be: the fast checks accept only rows
it accepts, giving the same fields (`tests/values/test_validation.py` holds the paths to
the same answers). Periods are parsed once per distinct text.
"""

from __future__ import annotations

import gc
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from operator import itemgetter
from typing import Annotated, Any, cast, get_args

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from usm_indicators.geography.schemas import DISTRICT_CODE_PATTERN
from usm_indicators.models import DataElement
from usm_indicators.models.data_value import TOTAL, WHOLE_CITY
from usm_indicators.values.schemas import (
    AGE_BAND_PATTERN,
    MAX_BULK_ROWS,
    DataValueCreate,
    Disability,
    Quality,
    Sex,
)
from usmkit.periods import PeriodError, parse_period
from usmkit.problems import FieldError, UnprocessableContent

# The columns of a stored value, in the order of a record (and of the COPY).
RECORD_COLUMNS = (
    "city",
    "data_element_code",
    "district_code",
    "period",
    "sex",
    "age_band",
    "disability",
    "value",
    "source",
    "quality",
)
Record = tuple[str, str, str, str, str, str, str, Decimal, str | None, str]
# A row's fields after the schema check: data element, district (None: whole city),
# period, sex, age band, disability (None: total), value, source, quality.
Fields = tuple[str, str | None, str, str | None, str | None, str | None, float, str | None, str]
# Where a problem is inside a row, as the model names it: ("value",), ("disaggregation", "sex").
FieldPath = tuple[str | int, ...]

_ROW_FIELDS = frozenset(DataValueCreate.model_fields)
_REQUIRED = frozenset(
    name for name, info in DataValueCreate.model_fields.items() if info.is_required()
)
_PLAIN_FIELDS = _ROW_FIELDS - {"disaggregation"}
_DISAGGREGATION_FIELDS = frozenset(("sex", "age_band", "disability"))
_SEXES = frozenset(get_args(Sex))
_DISABILITIES = frozenset(get_args(Disability))
_QUALITIES = frozenset(get_args(Quality))
# `fullmatch` with the schema's own patterns: a trailing newline never slips through `$`.
_DISTRICT_CODE = re.compile(DISTRICT_CODE_PATTERN)
_AGE_BAND = re.compile(AGE_BAND_PATTERN)
# Numbers as upload text: plain decimals only, which float() reads exactly as the model
# does; anything fancier (exponents, spaces, "inf") is left to the model.
_DECIMAL_TEXT = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")
# Integers a float holds exactly; larger ones are left to the model.
_EXACT_INT = 2**53


def _decimal(value: float) -> Decimal:
    """A value as stored: the shortest decimal that reads back as the same float."""
    return Decimal(repr(float(value)))


class _Envelope(TypedDict):
    """The bulk body around the rows: each row is validated on its own afterwards."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    rows: Annotated[list[Any], Field(min_length=1, max_length=MAX_BULK_ROWS)]


_ENVELOPE = TypeAdapter(_Envelope)


def bulk_rows(body: object) -> list[Any]:
    """The rows of a JSON bulk body (`{"rows": [...]}`), or 422 if it is not that shape."""
    try:
        return _ENVELOPE.validate_python(body)["rows"]
    except ValidationError as error:
        raise UnprocessableContent(
            "The request did not validate; see errors.",
            errors=[
                FieldError(loc=["body", *each["loc"]], msg=each["msg"], type=each["type"])
                for each in error.errors()
            ],
        ) from error


@dataclass(frozen=True)
class Origin:
    """Where rows come from, so each problem names the row (or line) and field as sent.

    `prefix(index)` locates a row: `["body", "rows", index]` for JSON, `["body", "line",
    N]` for uploads. `columns` is None for JSON (a field keeps its path in the body, e.g.
    `["disaggregation", "sex"]`); for uploads it names the column a field came from
    (fields missing from it are columns of the same name)."""

    prefix: Callable[[int], list[str | int]]
    columns: Mapping[str, str] | None = None

    def loc(self, index: int, path: FieldPath = ()) -> list[str | int]:
        if not path:
            return self.prefix(index)
        if self.columns is None:
            return [*self.prefix(index), *path]
        name = str(path[-1])
        return [*self.prefix(index), self.columns.get(name, name)]


JSON_ROWS = Origin(lambda index: ["body", "rows", index])


@dataclass
class Catalogue:
    """What rows are checked against: the data elements they name and the city's
    districts; periods already parsed are remembered (None: valid)."""

    elements: Mapping[str, DataElement]
    districts: frozenset[str]
    periods: dict[str, str | None] = field(default_factory=dict)

    def period_problem(self, text: str) -> str | None:
        if text not in self.periods:
            try:
                parse_period(text)
                self.periods[text] = None
            except PeriodError as error:
                self.periods[text] = str(error)
        return self.periods[text]


def _canonical(raw: object) -> Fields | None:
    """The fields of a row of the usual shape, or None to let the model judge it.

    Only rows the model accepts pass, with the fields it would give: exact JSON types, no
    unknown keys, the schema's lengths, patterns and choices."""
    if type(raw) is not dict or not raw.keys() <= _ROW_FIELDS or not raw.keys() >= _REQUIRED:
        return None
    element, period, value = raw["data_element"], raw["period"], raw["value"]
    district = raw.get("district_code")
    source = raw.get("source")
    quality = raw.get("quality", "verified")
    if (
        type(element) is not str
        or len(element) > 50
        or type(period) is not str
        or len(period) > 20
        or not (district is None or (type(district) is str and _DISTRICT_CODE.fullmatch(district)))
        or not (
            source is None or (type(source) is str and len(source) <= 200 and "\x00" not in source)
        )
        or type(quality) is not str
        or quality not in _QUALITIES
    ):
        return None
    if type(value) is float:
        if not math.isfinite(value):
            return None
        number = value
    elif (type(value) is int and -_EXACT_INT <= value <= _EXACT_INT) or (
        type(value) is str and _DECIMAL_TEXT.fullmatch(value)
    ):
        number = float(value)
    else:
        return None
    given = raw.get("disaggregation")
    if given is None:
        return (element, district, period, None, None, None, number, source, quality)
    if type(given) is not dict or not given.keys() <= _DISAGGREGATION_FIELDS:
        return None
    sex, age_band, disability = given.get("sex"), given.get("age_band"), given.get("disability")
    if (
        not (sex is None or (type(sex) is str and sex in _SEXES))
        or not (age_band is None or (type(age_band) is str and _AGE_BAND.fullmatch(age_band)))
        or not (disability is None or (type(disability) is str and disability in _DISABILITIES))
    ):
        return None
    return (element, district, period, sex, age_band, disability, number, source, quality)


def _modelled(raw: object) -> Fields | list[tuple[FieldPath, str, str]]:
    """The fields of a row as the model reads it, or its schema problems."""
    try:
        row = DataValueCreate.model_validate(raw)
    except ValidationError as error:
        return [(tuple(each["loc"]), each["msg"], each["type"]) for each in error.errors()]
    given = row.disaggregation
    return (
        row.data_element,
        row.district_code,
        row.period,
        given.sex if given else None,
        given.age_band if given else None,
        given.disability if given else None,
        row.value,
        row.source,
        row.quality,
    )


def _catalogue_problems(fields: Fields, catalogue: Catalogue) -> list[tuple[FieldPath, str, str]]:
    """What is wrong with well-formed fields: unknown codes, a period that does not exist,
    a value impossible for its data element, a disaggregation it does not have."""
    code, district, period, sex, age_band, disability, value, _, _ = fields
    element = catalogue.elements.get(code)
    period_problem = catalogue.period_problem(period)
    if (
        element is not None
        and (district is None or district in catalogue.districts)
        and period_problem is None
        and value >= 0
        and sex is None
        and age_band is None
        and disability is None
        and (element.value_type != "integer" or value.is_integer())
        and (element.value_type != "percentage" or value <= 100)
    ):
        return []  # the usual case, decided in one expression
    problems: list[tuple[FieldPath, str, str]] = []
    if element is None:
        problems.append((("data_element",), f"no data element {code!r}", "unknown_data_element"))
    if district is not None and district not in catalogue.districts:
        problems.append(
            (("district_code",), f"the city has no district {district!r}", "unknown_district")
        )
    if period_problem is not None:
        problems.append((("period",), period_problem, "bad_period"))
    if value < 0:
        problems.append(
            (
                ("value",),
                "values are counts or measures and cannot be negative",
                "impossible_value",
            )
        )
    if element is None:
        return problems
    if element.value_type == "integer" and not value.is_integer():
        problems.append(
            (("value",), f"{element.code} is a count: whole numbers only", "impossible_value")
        )
    if element.value_type == "percentage" and value > 100:
        problems.append((("value",), "a percentage cannot exceed 100", "impossible_value"))
    for dimension, given in (("sex", sex), ("age_band", age_band), ("disability", disability)):
        if given is not None and dimension not in element.disaggregations:
            problems.append(
                (
                    ("disaggregation", dimension),
                    f"{element.code} is not disaggregated by {dimension}",
                    "disaggregation_not_allowed",
                )
            )
    return problems


def row_position(problem: FieldError) -> int:
    """The row (or line) a problem is about; 0 for the body as a whole."""
    where = problem.loc[2] if len(problem.loc) > 2 else 0
    return where if isinstance(where, int) else 0


@dataclass(frozen=True)
class Checked:
    """The outcome of validating rows: one record per cell, or the problems."""

    records: list[Record]
    problems: list[FieldError]


def usual_records(
    city: str,
    rows: Sequence[object],
    catalogue: Catalogue,
    seen_cells: set[tuple[Any, ...]] | None = None,
) -> list[Record] | None:
    """The records of a load whose rows are all of the plainest shape (JSON types, or
    numbers as decimal text; no disaggregation; each cell once) and all valid, or None when
    any row is otherwise.

    The fast path of a large load: checked a column at a time, each distinct value once,
    with the rules `_canonical` and `_catalogue_problems` apply to a row. None says
    nothing about what is wrong: `check_rows` then goes row by row to find out.
    `seen_cells`, for a load checked a part at a time (`usual_parts`), holds the cells of
    the parts before: a row naming one is not usual either; the part's cells are added."""
    if set(map(type, rows)) != {dict}:
        return None
    plain = cast(list[dict[str, Any]], rows)
    columns = _columns(plain)
    if columns is None:
        return None
    codes, districts, periods, values, sources, qualities = columns
    value_types = set(map(type, values))
    if value_types == {str}:
        # Upload lines carry numbers as text: plain decimals read as the model reads them.
        texts = set(values)
        if not all(_DECIMAL_TEXT.fullmatch(text) for text in texts):
            return None
        numbers = {text: float(text) for text in texts}
        values = [numbers[text] for text in values]
        value_types = {float}
    if (
        set(map(type, codes)) != {str}
        or not set(map(type, districts)) <= {str, type(None)}
        or set(map(type, periods)) != {str}
        or not value_types <= {int, float}
        or not set(map(type, sources)) <= {str, type(None)}
        or set(map(type, qualities)) != {str}
    ):
        return None
    elements = catalogue.elements
    kinds = {code: elements[code].value_type for code in set(codes) if code in elements}
    cells = set(zip(codes, districts, periods, strict=True))
    if (
        len(kinds) < len(set(codes))
        or not all(
            _DISTRICT_CODE.fullmatch(district) and district in catalogue.districts
            for district in set(districts)
            if district is not None
        )
        or any(len(period) > 20 or catalogue.period_problem(period) for period in set(periods))
        or any(
            len(source) > 200 or "\x00" in source for source in set(sources) if source is not None
        )
        or not set(qualities) <= _QUALITIES
        # NaN and infinities fail this too; larger numbers are left to the row by row path.
        or not all(0 <= value <= _EXACT_INT for value in set(values))
        or len(cells) < len(plain)
        or (seen_cells is not None and not seen_cells.isdisjoint(cells))
    ):
        return None
    whole = {code for code, kind in kinds.items() if kind == "integer"}
    capped = {code for code, kind in kinds.items() if kind == "percentage"}
    if (whole and float in value_types) or capped:
        # Each distinct (data element, value) once: far fewer than rows.
        for code, value in set(zip(codes, values, strict=True)):
            if (code in whole and value != int(value)) or (code in capped and value > 100):
                return None
    if seen_cells is not None:
        seen_cells |= cells
    decimals = {value: _decimal(value) for value in set(values)}
    count = len(plain)
    return cast(
        list[Record],
        list(
            zip(
                repeat(city, count),
                codes,
                [district or WHOLE_CITY for district in districts],
                periods,
                repeat(TOTAL, count),
                repeat(TOTAL, count),
                repeat(TOTAL, count),
                map(decimals.__getitem__, values),
                sources,
                qualities,
                strict=False,  # repeat() is endless
            )
        ),
    )


# The columns of a plain row, with what a row leaving one out means.
_PLAIN_COLUMNS = (
    ("data_element", None),
    ("district_code", None),
    ("period", None),
    ("value", None),
    ("source", None),
    ("quality", "verified"),
)


def _columns(plain: list[dict[str, Any]]) -> list[Sequence[Any]] | None:
    """The rows' values column by column (`_PLAIN_COLUMNS`' order), or None if a row has
    a field other than those or lacks a required one.

    Rows with the first row's keys, the usual case, are taken apart in C, one itemgetter
    per column: no object per row, which would also wake the garbage collector every 700
    rows (collections were a third of this function's time). Mixed ones go key by key."""
    shape = plain[0].keys()
    if set(map(len, plain)) == {len(shape)}:
        try:
            by_name = {name: list(map(itemgetter(name), plain)) for name in shape}
        except KeyError:
            by_name = None  # a row with as many keys, but others
        if by_name is not None:
            # Every row has exactly the first row's keys.
            if not _REQUIRED <= shape <= _PLAIN_FIELDS:
                return None
            return [by_name.get(name) or [default] * len(plain) for name, default in _PLAIN_COLUMNS]
    if not all(_REQUIRED <= raw.keys() <= _PLAIN_FIELDS for raw in plain):
        return None
    return [[raw.get(name, default) for raw in plain] for name, default in _PLAIN_COLUMNS]


@contextmanager
def collection_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector off for a block that builds objects per row.

    A load makes tens of thousands of tuples, none of them in a cycle (reference counts
    free them); the collector would run every 700 of them and walk the young heap each
    time (collections took 34-53 ms of a 10,000-row request in the service process before,
    6-15 ms now). Any cycle made meanwhile waits for the next collection. Around
    synchronous blocks here; the JSON bulk route holds it over its whole request
    (`endpoints._BulkRoute`). Nested, the outermost decides; another request ending
    first turns the collector back on early, which costs time, never correctness."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def check_rows(city: str, rows: Sequence[object], catalogue: Catalogue, origin: Origin) -> Checked:
    """Validate every row; each problem names its row and field. Rows naming the same cell
    (data element, district, period, disaggregation) must agree on value, source and
    quality: an identical repeat is stored once, a different one is a problem."""
    with collection_paused():
        usual = usual_records(city, rows, catalogue)
        return (
            Checked(usual, [])
            if usual is not None
            else check_row_by_row(city, rows, catalogue, origin)
        )


# The rows of a part of a large load that is checked while the COPY takes in the part
# before: small enough that the first part reaches PostgreSQL early, large enough that the
# checks per distinct value (districts, periods) are not repeated too often.
PART_ROWS = 1_000


class NotUsual(Exception):
    """A part of a load that `usual_records` does not take: the load is checked whole
    (`check_rows`) instead."""


def usual_parts(city: str, rows: Sequence[object], catalogue: Catalogue) -> Iterator[list[Record]]:
    """The records of a load of usual rows, `PART_ROWS` rows at a time, each part checked
    by `usual_records` only when it is asked for: a COPY takes in one part while the next
    is checked (the two cores work at once).

    Raises `NotUsual` at the first part that is not usual, a row naming a cell of an
    earlier part included: the caller then undoes what it stored of the parts before."""
    seen_cells: set[tuple[Any, ...]] = set()
    for start in range(0, len(rows), PART_ROWS):
        with collection_paused():
            part = usual_records(city, rows[start : start + PART_ROWS], catalogue, seen_cells)
        if part is None:
            raise NotUsual
        yield part


def check_row_by_row(
    city: str, rows: Sequence[object], catalogue: Catalogue, origin: Origin
) -> Checked:
    """`check_rows` one row at a time: any rows, with every problem found."""
    problems: list[FieldError] = []
    records: list[Record] = []
    record_rows: list[int] = []  # the row each record came from
    for index, raw in enumerate(rows):
        fields = _canonical(raw)
        if fields is None:
            modelled = _modelled(raw)
            if isinstance(modelled, list):
                problems += [
                    FieldError(loc=origin.loc(index, path), msg=msg, type=kind)
                    for path, msg, kind in modelled
                ]
                continue
            fields = modelled
        found = _catalogue_problems(fields, catalogue)
        if found:
            problems += [
                FieldError(loc=origin.loc(index, path), msg=msg, type=kind)
                for path, msg, kind in found
            ]
            continue
        code, district, period, sex, age_band, disability, value, source, quality = fields
        records.append(
            (
                city,
                code,
                district or WHOLE_CITY,
                period,
                sex or TOTAL,
                age_band or TOTAL,
                disability or TOTAL,
                _decimal(value),
                source,
                quality,
            )
        )
        record_rows.append(index)
    # Rows naming one cell twice are rare: one set says whether there are any.
    if len({record[1:7] for record in records}) < len(records):
        records, conflicts = _one_per_cell(records, record_rows, origin)
        problems = sorted([*problems, *conflicts], key=row_position)
    return Checked(records, problems)


def _one_per_cell(
    records: list[Record], record_rows: list[int], origin: Origin
) -> tuple[list[Record], list[FieldError]]:
    """The records without repeats of a cell, and a problem for each repeat that differs
    from the cell's first record in value, source or quality."""
    kept: list[Record] = []
    conflicts: list[FieldError] = []
    first_of_cell: dict[tuple[str, ...], int] = {}  # the cell's first record, by position
    for position, record in enumerate(records):
        first = first_of_cell.setdefault(record[1:7], position)
        if first == position:
            kept.append(record)
        elif records[first][7:] != record[7:]:
            where = " ".join(map(str, origin.loc(record_rows[first])[1:]))
            conflicts.append(
                FieldError(
                    loc=origin.loc(record_rows[position]),
                    msg=f"conflicts with {where}: same data element, district, period and "
                    "disaggregation with another value",
                    type="conflicting_duplicate",
                )
            )
    return kept, conflicts
