"""ISO 8601 periods as USM writes them: `2025`, `2025-Q1`, `2025-03`, `2025-W12`, `2025-03-14`.

A period knows the periods it is made of (year → quarters → months → days) so values kept
at a finer period can be rolled up; ISO weeks straddle months and are never rolled up.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

# For request validation: the shape only; `parse_period` checks the calendar.
PERIOD_PATTERN = r"^\d{4}(-Q[1-4]|-W\d{2}|-\d{2}(-\d{2})?)?$"
PERIOD_DESCRIPTION = "An ISO 8601 period: `2025`, `2025-Q1`, `2025-03`, `2025-W12` or `2025-03-14`."

MIN_YEAR = 1900
MAX_YEAR = 2200

_PATTERNS = {
    "year": re.compile(r"(\d{4})"),
    "quarter": re.compile(r"(\d{4})-Q([1-4])"),
    "month": re.compile(r"(\d{4})-(\d{2})"),
    "week": re.compile(r"(\d{4})-W(\d{2})"),
    "day": re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
}


class PeriodError(ValueError):
    """The text is not a period USM understands."""


class PeriodType(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"
    WEEK = "week"
    DAY = "day"


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # inclusive
    type: PeriodType

    def __str__(self) -> str:
        year = self.start.year
        if self.type is PeriodType.YEAR:
            return f"{year:04d}"
        if self.type is PeriodType.QUARTER:
            return f"{year:04d}-Q{(self.start.month - 1) // 3 + 1}"
        if self.type is PeriodType.MONTH:
            return f"{year:04d}-{self.start.month:02d}"
        if self.type is PeriodType.WEEK:
            iso_year, week, _ = self.start.isocalendar()
            return f"{iso_year:04d}-W{week:02d}"
        return self.start.isoformat()

    def children(self) -> list[Period]:
        """The next finer periods this one is made of (none for weeks and days)."""
        year = self.start.year
        if self.type is PeriodType.YEAR:
            return [quarter(year, number) for number in range(1, 5)]
        if self.type is PeriodType.QUARTER:
            return [month(year, self.start.month + offset) for offset in range(3)]
        if self.type is PeriodType.MONTH:
            days = (self.end - self.start).days + 1
            return [day(self.start + timedelta(days=offset)) for offset in range(days)]
        return []

    def parent(self) -> Period | None:
        """The next coarser period this one is part of (none for years and weeks)."""
        if self.type is PeriodType.DAY:
            return month(self.start.year, self.start.month)
        if self.type is PeriodType.MONTH:
            return quarter(self.start.year, (self.start.month - 1) // 3 + 1)
        if self.type is PeriodType.QUARTER:
            return year_period(self.start.year)
        return None

    def ancestors(self) -> list[Period]:
        """The coarser periods this one is part of, nearest first."""
        found = []
        parent = self.parent()
        while parent is not None:
            found.append(parent)
            parent = parent.parent()
        return found

    def descendants(self) -> list[Period]:
        """This period and every finer period it is made of, coarsest first."""
        found = [self]
        for child in self.children():
            found += child.descendants()
        return found

    def previous(self) -> Period:
        """The period of the same type just before this one."""
        return self.shifted(-1)

    def year_before(self) -> Period:
        """The same period one year earlier (the same ISO week number for weeks)."""
        year = self.start.year
        if self.type is PeriodType.YEAR:
            return self.shifted(-1)
        if self.type is PeriodType.QUARTER:
            return self.shifted(-4)
        if self.type is PeriodType.MONTH:
            return self.shifted(-12)
        if self.type is PeriodType.WEEK:
            iso_year, week_number, _ = self.start.isocalendar()
            return week(iso_year - 1, min(week_number, _weeks_in(iso_year - 1)))
        last_day = calendar.monthrange(year - 1, self.start.month)[1]
        return day(date(year - 1, self.start.month, min(self.start.day, last_day)))

    def shifted(self, steps: int) -> Period:
        """The period `steps` periods of the same type away."""
        if self.type is PeriodType.YEAR:
            return year_period(self.start.year + steps)
        if self.type in (PeriodType.QUARTER, PeriodType.MONTH):
            months = 3 if self.type is PeriodType.QUARTER else 1
            index = self.start.year * 12 + self.start.month - 1 + steps * months
            if self.type is PeriodType.QUARTER:
                return quarter(index // 12, (index % 12) // 3 + 1)
            return month(index // 12, index % 12 + 1)
        if self.type is PeriodType.WEEK:
            return _week_from(self.start + timedelta(weeks=steps))
        return day(self.start + timedelta(days=steps))


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), PeriodType.YEAR)


def quarter(year: int, number: int) -> Period:
    first = date(year, 3 * number - 2, 1)
    last_month = 3 * number
    return Period(
        first,
        date(year, last_month, calendar.monthrange(year, last_month)[1]),
        PeriodType.QUARTER,
    )


def month(year: int, number: int) -> Period:
    return Period(
        date(year, number, 1),
        date(year, number, calendar.monthrange(year, number)[1]),
        PeriodType.MONTH,
    )


def day(when: date) -> Period:
    return Period(when, when, PeriodType.DAY)


def _weeks_in(iso_year: int) -> int:
    return date(iso_year, 12, 28).isocalendar()[1]


def week(iso_year: int, number: int) -> Period:
    monday = date.fromisocalendar(iso_year, number, 1)
    return Period(monday, monday + timedelta(days=6), PeriodType.WEEK)


def _week_from(when: date) -> Period:
    monday = when - timedelta(days=when.weekday())
    return Period(monday, monday + timedelta(days=6), PeriodType.WEEK)


def parse_period(text: str) -> Period:
    """The period a string names; PeriodError if it names none (e.g. `2025-13`, `2025-W54`)."""
    for kind, pattern in _PATTERNS.items():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        numbers = [int(group) for group in match.groups()]
        if not MIN_YEAR <= numbers[0] <= MAX_YEAR:
            raise PeriodError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
        try:
            if kind == "year":
                return year_period(numbers[0])
            if kind == "quarter":
                return quarter(numbers[0], numbers[1])
            if kind == "month":
                return month(numbers[0], numbers[1])
            if kind == "week":
                if not 1 <= numbers[1] <= _weeks_in(numbers[0]):
                    raise PeriodError(f"{numbers[0]} has no ISO week {numbers[1]}")
                return week(numbers[0], numbers[1])
            return day(date(numbers[0], numbers[1], numbers[2]))
        except ValueError as error:
            if isinstance(error, PeriodError):
                raise
            raise PeriodError(f"{text!r} is not a real date or month") from error
    raise PeriodError(
        f"{text!r} is not an ISO 8601 period (2025, 2025-Q1, 2025-03, 2025-W12 or 2025-03-14)"
    )
