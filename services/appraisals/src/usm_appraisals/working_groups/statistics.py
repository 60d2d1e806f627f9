"""Participation statistics with small-cell suppression (ARCHITECTURE §5).

Counts are of distinct members who attended at least one session of the group in the period.
A count from 1 to k-1 (k = `min_cell_count`, 5 by default) is published as suppressed, never
as its value. Because every breakdown also carries the total, a lone suppressed cell could be
recovered by subtraction; so when a breakdown has exactly one suppressed cell, the next
smallest non-zero cell is suppressed too (complementary suppression).
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from usmkit.suppression import is_small_cell

SECTORS = (
    "local_authority",
    "civil_society",
    "resident",
    "academia",
    "private_sector",
    "community_leader",
)
GENDERS = ("woman", "man", "non_binary", "prefer_not_to_say")
AGE_BANDS = ("under_18", "18_24", "25_34", "35_49", "50_64", "65_plus")
YOUTH_AGE_BANDS = frozenset({"under_18", "18_24"})
NOT_STATED = "not_stated"


@dataclass(frozen=True)
class Participant:
    """What statistics may know of a member: nothing that names them."""

    sector: str
    gender: str | None
    age_band: str | None
    disability: bool | None


@dataclass(frozen=True)
class Cell:
    key: str
    count: int | None
    suppressed: bool


def breakdown(values: Iterable[str], keys: Sequence[str], k: int) -> list[Cell]:
    """One cell per key (zeros included, so the shape never reveals anything), suppressed."""
    counts = Counter(values)
    cells = [Cell(key, counts[key], is_small_cell(counts[key], threshold=k)) for key in keys]
    suppressed = [cell for cell in cells if cell.suppressed]
    if len(suppressed) == 1:
        candidates = [cell for cell in cells if not cell.suppressed and (cell.count or 0) > 0]
        if candidates:
            partner = min(candidates, key=lambda cell: (cell.count or 0, cell.key))
            cells = [
                Cell(cell.key, cell.count, True) if cell is partner else cell for cell in cells
            ]
    return [
        Cell(cell.key, None if cell.suppressed else cell.count, cell.suppressed) for cell in cells
    ]


def _disability_key(value: bool | None) -> str:
    return NOT_STATED if value is None else ("yes" if value else "no")


@dataclass(frozen=True)
class ParticipationStatistics:
    participants: Cell
    women: Cell
    youth: Cell
    by_sector: list[Cell]
    by_gender: list[Cell]
    by_age_band: list[Cell]
    by_disability: list[Cell]


def participation_statistics(
    participants: Sequence[Participant], *, k: int = 5
) -> ParticipationStatistics:
    """Aggregate participants into suppressed counts.

    Women are the `woman` cell of the gender breakdown (same suppression). Youth is the sum of
    the age bands under 25; it is suppressed when below k, and also when exactly one of its
    bands is suppressed, since the published other band would give that one away.
    """
    by_gender = breakdown(
        (person.gender or NOT_STATED for person in participants), (*GENDERS, NOT_STATED), k
    )
    by_age_band = breakdown(
        (person.age_band or NOT_STATED for person in participants), (*AGE_BANDS, NOT_STATED), k
    )
    youth = sum(1 for person in participants if person.age_band in YOUTH_AGE_BANDS)
    youth_bands_hidden = [cell.suppressed for cell in by_age_band if cell.key in YOUTH_AGE_BANDS]
    youth_cell = _headline("youth", youth, k)
    if youth_bands_hidden.count(True) == 1:
        youth_cell = Cell("youth", None, True)
    women = next(cell for cell in by_gender if cell.key == "woman")
    return ParticipationStatistics(
        participants=_headline("participants", len(participants), k),
        women=Cell("women", women.count, women.suppressed),
        youth=youth_cell,
        by_sector=breakdown((person.sector for person in participants), SECTORS, k),
        by_gender=by_gender,
        by_age_band=by_age_band,
        by_disability=breakdown(
            (_disability_key(person.disability) for person in participants),
            ("yes", "no", NOT_STATED),
            k,
        ),
    )


def _headline(key: str, count: int, k: int) -> Cell:
    hidden = is_small_cell(count, threshold=k)
    return Cell(key, None if hidden else count, hidden)
