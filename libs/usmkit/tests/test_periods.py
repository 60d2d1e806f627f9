from datetime import date

import pytest

from usmkit.periods import PeriodError, PeriodType, parse_period


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2025", PeriodType.YEAR, "2025-01-01", "2025-12-31"),
        ("2025-Q1", PeriodType.QUARTER, "2025-01-01", "2025-03-31"),
        ("2024-02", PeriodType.MONTH, "2024-02-01", "2024-02-29"),
        ("2025-W12", PeriodType.WEEK, "2025-03-17", "2025-03-23"),
        ("2026-W53", PeriodType.WEEK, "2026-12-28", "2027-01-03"),
        ("2025-03-14", PeriodType.DAY, "2025-03-14", "2025-03-14"),
    ],
)
def test_periods_parse_and_print_back(text: str, kind: PeriodType, start: str, end: str) -> None:
    period = parse_period(text)
    assert (period.type, period.start.isoformat(), period.end.isoformat()) == (kind, start, end)
    assert str(period) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "25",
        "2025-Q5",
        "2025-13",
        "2025-00",
        "2025-W54",
        "2025-W53",
        "2025-02-30",
        "0999",
        "2025-3",
        "2025/03",
        " 2025",
        "2025-W00",
    ],
)
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


@pytest.mark.parametrize(
    ("text", "previous", "year_before"),
    [
        ("2025", "2024", "2024"),
        ("2025-Q1", "2024-Q4", "2024-Q1"),
        ("2025-01", "2024-12", "2024-01"),
        ("2025-W01", "2024-W52", "2024-W01"),
        ("2026-W53", "2026-W52", "2025-W52"),
        ("2024-03-01", "2024-02-29", "2023-03-01"),
        ("2024-02-29", "2024-02-28", "2023-02-28"),
    ],
)
def test_previous_period_and_year_before(text: str, previous: str, year_before: str) -> None:
    period = parse_period(text)
    assert str(period.previous()) == previous
    assert str(period.year_before()) == year_before


def test_a_year_is_made_of_quarters_months_and_days() -> None:
    year = parse_period("2025")
    assert [str(child) for child in year.children()] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert [str(child) for child in parse_period("2025-Q2").children()] == [
        "2025-04",
        "2025-05",
        "2025-06",
    ]
    assert len(year.descendants()) == 1 + 4 + 12 + 365
    assert parse_period("2025-W12").children() == []


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-W01", date(2025, 12, 29), date(2026, 1, 4)),
        ("2026-03-14", date(2026, 3, 14), date(2026, 3, 14)),
    ],
)
def test_period_bounds_are_inclusive(period: str, start: date, end: date) -> None:
    assert (parse_period(period).start, parse_period(period).end) == (start, end)


@pytest.mark.parametrize("period", ["2026-13", "2026-W54", "2026-02-30", "26", "2026-Q5"])
def test_calendar_impossible_periods_are_refused(period: str) -> None:
    with pytest.raises(ValueError):
        parse_period(period)
