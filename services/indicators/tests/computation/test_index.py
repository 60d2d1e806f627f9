from decimal import Decimal
from fractions import Fraction

from usm_indicators.computation.engine import Cell, DataCube, Formulas
from usm_indicators.computation.index import DimensionScore, IndexIndicator, area_index, normalise
from usmkit.periods import parse_period

YEAR = parse_period("2025")


def indicator(
    code: str,
    dimension: str,
    direction: str,
    high: int,
    numerator: str,
    denominator: str,
    multiplier: int,
    *,
    suppress: bool = False,
) -> IndexIndicator:
    return IndexIndicator(
        code=code,
        dimension=dimension,
        direction=direction,
        goalpost_min=Fraction(0),
        goalpost_max=Fraction(high),
        formulas=Formulas.parse(f"#{{{numerator}}}", f"#{{{denominator}}}", Decimal(multiplier)),
        suppress=suppress,
    )


INDICATORS = [
    indicator(
        "HOMICIDE_RATE", "personal", "lower_is_better", 50, "HOMICIDES", "POPULATION", 100_000
    ),
    indicator("FEEL_SAFE", "personal", "higher_is_better", 100, "SAFE", "RESPONDENTS", 100),
    indicator("UNEMPLOYMENT", "economic", "lower_is_better", 50, "UNEMPLOYED", "LABOUR", 100),
    indicator("TURNOUT", "political", "higher_is_better", 100, "VOTES", "REGISTERED", 100),
    indicator("FOOD_INSECURITY", "food", "lower_is_better", 100, "HUNGRY", "HOUSEHOLDS", 100),
]

DATA = {
    "A": {
        "HOMICIDES": 6,
        "POPULATION": 100_000,
        "SAFE": 60,
        "RESPONDENTS": 100,
        "UNEMPLOYED": 10_000,
        "LABOUR": 50_000,
    },
    "B": {
        "HOMICIDES": 30,
        "POPULATION": 200_000,
        "SAFE": 45,
        "RESPONDENTS": 100,
        "UNEMPLOYED": 30_000,
        "LABOUR": 50_000,
        "VOTES": 36_000,
        "REGISTERED": 60_000,
    },
}


def cube() -> DataCube:
    codes = {code for values in DATA.values() for code in values} | {"HUNGRY", "HOUSEHOLDS"}
    data = DataCube(aggregations=dict.fromkeys(codes, "sum"), districts=["A", "B"])
    for district, values in DATA.items():
        for code, amount in values.items():
            data.add(Cell(code, district, "2025"), amount)
    return data


def scores(area_dimensions: list[DimensionScore]) -> dict[str, Fraction | None]:
    return {each.dimension: each.score for each in area_dimensions}


def test_normalisation_follows_direction_and_clamps() -> None:
    rate, safe = INDICATORS[0], INDICATORS[1]
    assert normalise(Fraction(6), rate) == 88  # (50 - 6) / 50 x 100
    assert normalise(Fraction(60), safe) == 60  # (60 - 0) / 100 x 100
    assert normalise(Fraction(80), rate) == 0  # worse than the worst goalpost
    assert normalise(Fraction(-1), safe) == 0


def test_worked_example() -> None:
    data = cube()
    # District A: homicides 6 per 100,000 -> 88; feels safe 60% -> 60; personal (88 + 60) / 2
    # = 74. Unemployment 20% -> (50 - 20) / 50 x 100 = 60. No turnout, no food data.
    # Overall (74 + 60) / 2 = 67; coverage 3 of 5 indicators.
    a = area_index(INDICATORS, data, "A", YEAR)
    assert scores(a.dimensions) == {
        "economic": 60,
        "food": None,
        "health": None,
        "environmental": None,
        "personal": 74,
        "community": None,
        "political": None,
    }
    assert (a.score, a.coverage, a.with_data) == (67, Fraction(3, 5), 3)
    # District B: 15 per 100,000 -> 70; 45% -> 45; personal 57.5. Unemployment 60% is past
    # the worst goalpost -> 0. Turnout 60% -> 60. Overall (57.5 + 0 + 60) / 3 = 39 1/6.
    b = area_index(INDICATORS, data, "B", YEAR)
    assert (scores(b.dimensions)["personal"], scores(b.dimensions)["economic"]) == (
        Fraction(115, 2),
        0,
    )
    assert (b.score, b.coverage) == (Fraction(235, 6), Fraction(4, 5))
    # The city from totals: 36 / 300,000 -> 12 per 100,000 -> 76; 105 / 200 = 52.5% -> 52.5;
    # personal 64.25. Unemployment 40,000 / 100,000 = 40% -> 20. Turnout (B only) 60% -> 60.
    # Overall (64.25 + 20 + 60) / 3 = 48 1/12, not the mean of the district scores.
    city = area_index(INDICATORS, data, None, YEAR)
    assert scores(city.dimensions)["personal"] == Fraction(257, 4)
    assert (city.score, city.coverage) == (Fraction(577, 12), Fraction(4, 5))
    food = next(each for each in city.dimensions if each.dimension == "food")
    assert (food.score, food.coverage, food.indicators) == (None, 0, 1)


def test_withheld_small_cells_count_as_without_data() -> None:
    data = cube()
    data.add(Cell("HUNGRY", "A", "2025"), 3)
    data.add(Cell("HOUSEHOLDS", "A", "2025"), 50)
    withheld = [
        *INDICATORS[:4],
        indicator(
            "FOOD_INSECURITY",
            "food",
            "lower_is_better",
            100,
            "HUNGRY",
            "HOUSEHOLDS",
            100,
            suppress=True,
        ),
    ]
    assert area_index(withheld, data, "A", YEAR).with_data == 3
    # Shown to those who may see raw data: 3 / 50 = 6% -> 94.
    shown = area_index(INDICATORS, data, "A", YEAR)
    assert (shown.with_data, scores(shown.dimensions)["food"]) == (4, 94)
