"""Small-cell suppression of published aggregates (ARCHITECTURE §5): a count from 1 to k-1
is never published, so that small groups of people cannot be singled out."""

from fractions import Fraction

SUPPRESSION_THRESHOLD = 5


def is_small_cell(count: int | Fraction | None, *, threshold: int = SUPPRESSION_THRESHOLD) -> bool:
    """True when a count must be withheld: more than zero and fewer than `threshold`."""
    return count is not None and 0 < count < threshold
