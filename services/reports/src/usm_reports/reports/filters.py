"""Filters shared by map aggregates and exports, parsed once from the query string."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, TypeVarTuple

from fastapi import Depends, Query
from sqlalchemy import Select

from usm_reports.models import Report
from usm_reports.models.report import STATUSES
from usm_reports.reports.schemas import SLUG_PATTERN
from usmkit.periods import PERIOD_DESCRIPTION, PERIOD_PATTERN, PeriodError, parse_period
from usmkit.problems import FieldError, UnprocessableContent

Columns = TypeVarTuple("Columns")

# C0 control characters (but tab and line breaks, which free text may hold) and DEL: no
# code, word or note of ours has one, and PostgreSQL refuses a NUL outright (SQLSTATE
# 22021), so inputs with one are refused before they reach a query.
_CONTROL_CHARACTER_CLASS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
CONTROL_CHARACTERS = re.compile(f"[{_CONTROL_CHARACTER_CLASS}]")
# For `Query(pattern=...)`: the value holds no control character.
WITHOUT_CONTROL_CHARACTERS = f"^[^{_CONTROL_CHARACTER_CLASS}]*$"


@dataclass(frozen=True, kw_only=True)
class ReportFilter:
    """Which reports of a city: by categories, statuses, submission period and district."""

    category_codes: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    submitted_from: datetime | None = None
    submitted_before: datetime | None = None
    district_code: str | None = None

    def apply(self, query: Select[*Columns]) -> Select[*Columns]:
        if self.category_codes:
            query = query.where(Report.category_code.in_(self.category_codes))
        if self.statuses:
            query = query.where(Report.status.in_(self.statuses))
        if self.submitted_from is not None:
            query = query.where(Report.submitted_at >= self.submitted_from)
        if self.submitted_before is not None:
            query = query.where(Report.submitted_at < self.submitted_before)
        if self.district_code is not None:
            query = query.where(Report.district_code == self.district_code)
        return query


def _split(raw: str | None) -> tuple[str, ...] | None:
    parts = tuple(part.strip() for part in (raw or "").split(",") if part.strip())
    return parts or None


def _invalid(field: str, msg: str, type_: str) -> UnprocessableContent:
    return UnprocessableContent(
        f"{field}: {msg}", errors=[FieldError(loc=["query", field], msg=msg, type=type_)]
    )


async def report_filter(
    category: Annotated[
        str | None,
        Query(
            max_length=500,
            description="Comma-separated category codes.",
            examples=["streetlight,dark-path"],
        ),
    ] = None,
    status: Annotated[
        str | None,
        Query(max_length=200, description="Comma-separated workflow statuses."),
    ] = None,
    period: Annotated[
        str | None,
        Query(
            pattern=PERIOD_PATTERN, description=f"Submitted in this period. {PERIOD_DESCRIPTION}"
        ),
    ] = None,
    district: Annotated[
        str | None,
        Query(
            max_length=50,
            pattern=WITHOUT_CONTROL_CHARACTERS,
            description="Only this district's reports (its code).",
            examples=["DBN-CENTRAL"],
        ),
    ] = None,
) -> ReportFilter:
    categories = _split(category)
    if categories and any(len(code) > 50 for code in categories):
        raise _invalid("category", "Category codes have at most 50 characters.", "too_long")
    if categories and not all(re.fullmatch(SLUG_PATTERN, code) for code in categories):
        raise _invalid("category", "Category codes are lower-case slugs.", "pattern")
    statuses = _split(status)
    if statuses and any(part not in STATUSES for part in statuses):
        raise _invalid("status", f"Each status must be one of {', '.join(STATUSES)}.", "enum")
    start = end = None
    if period is not None:
        try:
            parsed = parse_period(period)
        except PeriodError as exc:
            raise _invalid("period", str(exc), "period") from exc
        start = datetime.combine(parsed.start, time.min, tzinfo=UTC)
        end = datetime.combine(parsed.end + timedelta(days=1), time.min, tzinfo=UTC)
    return ReportFilter(
        category_codes=categories,
        statuses=statuses,
        submitted_from=start,
        submitted_before=end,
        district_code=district,
    )


ReportFilterDep = Annotated[ReportFilter, Depends(report_filter)]
