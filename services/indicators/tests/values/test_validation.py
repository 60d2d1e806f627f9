"""The two ways rows are validated agree: the column-wise fast path of a large load accepts
only loads the row-by-row path finds valid, and gives the same records."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from usm_indicators.models import DataElement
from usm_indicators.values.validation import (
    JSON_ROWS,
    Catalogue,
    check_row_by_row,
    check_rows,
    usual_records,
)

ELEMENTS = {
    "HOMICIDES": DataElement(code="HOMICIDES", value_type="integer", disaggregations=["sex"]),
    "SURVEY_SCORE": DataElement(code="SURVEY_SCORE", value_type="number", disaggregations=[]),
    "LIGHTS_WORKING": DataElement(
        code="LIGHTS_WORKING", value_type="percentage", disaggregations=[]
    ),
}
DISTRICTS = frozenset({"DBN-CENTRAL", "DBN-NORTH"})

# Mostly good values, with every kind of bad one the schema or the catalogue refuses.
codes = st.sampled_from([*ELEMENTS, "UNICORNS", 7, None])
districts = st.sampled_from(["DBN-CENTRAL", "DBN-NORTH", None, "DBN-ATLANTIS", "", "a b", 3])
periods = st.sampled_from(["2025", "2025-Q1", "2025-03", "2025-W12", "2025-13", "2025-W53", 2025])
values = st.one_of(
    st.integers(min_value=-3, max_value=120),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([2.5, 100.0, 100.5, 2**60, True, "4", "many", None]),
)
sources = st.sampled_from([None, "SAPS", "x" * 201, "SA\x00PS", 5])
qualities = st.sampled_from(["verified", "estimated", "guessed"])


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    row: dict[str, Any] = {
        "data_element": draw(codes),
        "period": draw(periods),
        "value": draw(values),
    }
    for name, strategy in (("district_code", districts), ("source", sources)):
        if draw(st.booleans()):
            row[name] = draw(strategy)
    if draw(st.booleans()):
        row["quality"] = draw(qualities)
    extra = draw(st.sampled_from([None, "colour", "disaggregation"]))
    if extra == "disaggregation":
        row["disaggregation"] = {"sex": "female"}
    elif extra is not None:
        row[extra] = "red"
    return row


# Rows that pass every check, so that whole batches often take the fast path.
good_rows = st.fixed_dictionaries(
    {
        "data_element": st.sampled_from(list(ELEMENTS)),
        "period": st.sampled_from(["2025", "2025-Q1", "2025-03", "2025-W12"]),
        "value": st.one_of(
            st.integers(min_value=0, max_value=100),
            st.floats(min_value=0, max_value=100),
        ),
    },
    optional={
        "district_code": st.sampled_from(["DBN-CENTRAL", "DBN-NORTH", None]),
        "source": st.sampled_from([None, "SAPS"]),
        "quality": st.sampled_from(["verified", "provisional"]),
    },
)


# Upload lines: every value as text, as a CSV cell is.
upload_rows = st.builds(
    lambda row, text: {**row, "value": text},
    good_rows,
    st.sampled_from(["0", "4", "99.5", "100", "100.5", "2.5", "-1", "1e3", " 7", "many"]),
)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.lists(st.one_of(good_rows, good_rows, good_rows, rows()), min_size=1, max_size=8),
        st.lists(upload_rows, min_size=1, max_size=8),
    )
)
def test_the_fast_path_accepts_only_what_row_by_row_accepts(batch: list[dict[str, Any]]) -> None:
    fast = usual_records("durban", batch, Catalogue(ELEMENTS, DISTRICTS))
    slow = check_row_by_row("durban", batch, Catalogue(ELEMENTS, DISTRICTS), JSON_ROWS)
    if fast is not None:
        assert (fast, []) == (slow.records, slow.problems)
    # check_rows is whichever path applies.
    checked = check_rows("durban", batch, Catalogue(ELEMENTS, DISTRICTS), JSON_ROWS)
    assert (checked.records, checked.problems) == (slow.records, slow.problems)


def test_a_plain_load_takes_the_fast_path_with_the_row_by_row_records() -> None:
    batch = [
        {"data_element": "HOMICIDES", "district_code": "DBN-CENTRAL", "period": "2025-03",
         "value": 4},
        {"data_element": "LIGHTS_WORKING", "period": "2025", "value": 99.5, "source": "audit"},
        {"data_element": "SURVEY_SCORE", "district_code": "DBN-NORTH", "period": "2025-Q1",
         "value": 0, "quality": "estimated"},
    ]  # fmt: skip
    fast = usual_records("durban", batch, Catalogue(ELEMENTS, DISTRICTS))
    slow = check_row_by_row("durban", batch, Catalogue(ELEMENTS, DISTRICTS), JSON_ROWS)
    assert fast is not None
    assert (fast, []) == (slow.records, slow.problems)
    assert [(*record[1:4], str(record[7])) for record in fast] == [
        ("HOMICIDES", "DBN-CENTRAL", "2025-03", "4.0"),
        ("LIGHTS_WORKING", "", "2025", "99.5"),
        ("SURVEY_SCORE", "DBN-NORTH", "2025-Q1", "0.0"),
    ]
