"""ISO 8601 period strings (ARCHITECTURE §4) and the dates they cover."""

import re
from calendar import monthrange
from datetime import date

PERIOD_PATTERN = r"^\d{4}(-Q[1-4]|-W\d{2}|-\d{2}(-\d{2})?)?$"
PERIOD_DESCRIPTION = "An ISO 8601 period: `2025`, `2025-Q1`, `2025-03`, `2025-W12` or `2025-03-14`."

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day (inclusive) of `period`; ValueError when it is not a valid period."""
    if re.fullmatch(r"\d{4}", period):
        year = int(period)
        return date(year, 1, 1), date(year, 12, 31)
    if match := _QUARTER.match(period):
        year, quarter = int(match[1]), int(match[2])
        first_month = 3 * (quarter - 1) + 1
        last_month = first_month + 2
        return date(year, first_month, 1), date(year, last_month, monthrange(year, last_month)[1])
    if match := _WEEK.match(period):
        year, week = int(match[1]), int(match[2])
        return date.fromisocalendar(year, week, 1), date.fromisocalendar(year, week, 7)
    if match := _MONTH.match(period):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(f"No month {month}.")
        return date(year, month, 1), date(year, month, monthrange(year, month)[1])
    day = date.fromisoformat(period) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", period) else None
    if day is None:
        raise ValueError(f"{period!r} is not an ISO 8601 period.")
    return day, day
