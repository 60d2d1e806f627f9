"""Participation statistics on a worked example (pure logic, no fixtures)."""

from usm_appraisals.working_groups.statistics import Cell, Participant, participation_statistics


def people(count: int, sector: str, gender: str | None, age: str | None, disability: bool | None):
    return [Participant(sector, gender, age, disability) for _ in range(count)]


def cells(breakdown: list[Cell]) -> dict[str, int | None]:
    return {cell.key: cell.count for cell in breakdown if cell.count != 0}


def test_worked_example_with_primary_and_complementary_suppression() -> None:
    # 12 participants:
    #   5 residents, women, 18-24, no disability
    #   1 resident, woman, under 18, no disability
    #   4 civil society, men, 25-34, no disability
    #   1 local authority, woman, 25-34, disability
    #   1 local authority, man, 25-34, disability
    participants = [
        *people(5, "resident", "woman", "18_24", False),
        *people(1, "resident", "woman", "under_18", False),
        *people(4, "civil_society", "man", "25_34", False),
        *people(1, "local_authority", "woman", "25_34", True),
        *people(1, "local_authority", "man", "25_34", True),
    ]
    statistics = participation_statistics(participants, k=5)

    assert statistics.participants == Cell("participants", 12, False)
    # Sectors: resident 6; civil society 4 and local authority 2 are both below 5.
    assert cells(statistics.by_sector) == {
        "resident": 6,
        "civil_society": None,
        "local_authority": None,
    }
    # Gender: 7 women and 5 men, nothing to suppress.
    assert cells(statistics.by_gender) == {"woman": 7, "man": 5}
    assert statistics.women == Cell("women", 7, False)
    # Age: under 18 is 1 (suppressed); alone it could be recovered as 12 - 5 - 6, so the
    # next smallest non-zero cell (18-24: 5) is suppressed with it.
    assert cells(statistics.by_age_band) == {"under_18": None, "18_24": None, "25_34": 6}
    # Youth = under 18 + 18-24 = 6: both bands are hidden, their sum reveals neither.
    assert statistics.youth == Cell("youth", 6, False)
    # Disability: yes 2 (suppressed), so no (10) is suppressed as its complement.
    assert cells(statistics.by_disability) == {"yes": None, "no": None}
    assert all(cell.suppressed for cell in statistics.by_disability if cell.count is None)


def test_zero_is_published_and_small_totals_are_hidden() -> None:
    statistics = participation_statistics(people(3, "academia", None, None, None), k=5)
    assert statistics.participants == Cell("participants", None, True)
    assert statistics.women == Cell("women", 0, False)
    assert cells(statistics.by_gender) == {"not_stated": None}
    assert cells(statistics.by_sector) == {"academia": None}


def test_youth_is_hidden_when_one_youth_band_could_be_derived() -> None:
    participants = [
        *people(2, "resident", None, "under_18", None),
        *people(5, "resident", None, "18_24", None),
        *people(2, "resident", None, "50_64", None),
    ]
    statistics = participation_statistics(participants, k=5)
    # under 18 (2) and 50-64 (2) are suppressed together, 18-24 (5) stays published:
    # publishing youth = 7 would give under 18 away as 7 - 5.
    assert cells(statistics.by_age_band) == {"under_18": None, "18_24": 5, "50_64": None}
    assert statistics.youth == Cell("youth", None, True)
