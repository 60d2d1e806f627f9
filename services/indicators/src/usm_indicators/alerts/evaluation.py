"""Whether a rule fires on one indicator value: pure, over public values only.

`value_at(period)` gives the indicator's public value (None without data or when withheld
by small-cell suppression), so a rule never fires on, nor compares against, a withheld
cell.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from usm_indicators.models import AlertRule
from usmkit.periods import Period

ValueAt = Callable[[Period], Fraction | None]
# Fewer earlier values than this say nothing about what is usual.
MIN_HISTORY = 3


@dataclass(frozen=True)
class Finding:
    value: Fraction
    reference: Fraction | None
    reason: str  # completes "<indicator> is <value>, ..."


def _number(value: Fraction) -> str:
    return f"{float(value):.4g}"


def _threshold(rule: AlertRule, value: Fraction) -> Finding | None:
    limit = Fraction(rule.threshold)
    if (rule.operator == "above" and value > limit) or (rule.operator == "below" and value < limit):
        return Finding(value, limit, f"{rule.operator} the threshold {_number(limit)}")
    return None


def _change(rule: AlertRule, value: Fraction, period: Period, value_at: ValueAt) -> Finding | None:
    earlier_period = period.previous() if rule.compare_to == "previous" else period.year_before()
    earlier = value_at(earlier_period)
    if earlier is None or earlier == 0:
        return None  # no relative change from nothing
    percent = (value - earlier) / abs(earlier) * 100
    limit = Fraction(rule.threshold)
    if rule.operator == "above" and percent > limit:
        verb = "up"
    elif rule.operator == "below" and percent < -limit:
        verb = "down"
    else:
        return None
    return Finding(
        value,
        earlier,
        f"{verb} {_number(abs(percent))}% from {_number(earlier)} in {earlier_period} "
        f"(limit {_number(limit)}%)",
    )


def _anomaly(rule: AlertRule, value: Fraction, period: Period, value_at: ValueAt) -> Finding | None:
    window = rule.window or 0
    history = [
        found
        for steps in range(1, window + 1)
        if (found := value_at(period.shifted(-steps))) is not None
    ]
    if len(history) < MIN_HISTORY:
        return None
    mean = sum(history, Fraction(0)) / len(history)
    variance = sum(((each - mean) ** 2 for each in history), Fraction(0)) / (len(history) - 1)
    deviation = Fraction(math.sqrt(variance))
    spread = Fraction(rule.threshold) * deviation
    high, low = value > mean + spread, value < mean - spread
    fires = {"above": high, "below": low, "outside": high or low}[rule.operator]
    if not fires:
        return None
    return Finding(
        value,
        mean,
        f"outside the usual {_number(mean)} ± {_number(Fraction(rule.threshold))} sd "
        f"(sd {_number(deviation)}, {len(history)} earlier periods)",
    )


def evaluate(rule: AlertRule, period: Period, value_at: ValueAt) -> Finding | None:
    """The finding if `rule` fires for `period`, else None."""
    if rule.period_type is not None and period.type.value != rule.period_type:
        return None
    value = value_at(period)
    if value is None:
        return None
    if rule.kind == "threshold":
        return _threshold(rule, value)
    if rule.kind == "change":
        return _change(rule, value, period, value_at)
    return _anomaly(rule, value, period, value_at)


def periods_looked_at(rule: AlertRule, period: Period) -> list[Period]:
    """Every period `evaluate` may read for this rule and period."""
    if rule.kind == "change":
        return [period, period.previous(), period.year_before()]
    if rule.kind == "anomaly":
        return [period, *(period.shifted(-steps) for steps in range(1, (rule.window or 0) + 1))]
    return [period]
