import gc
import json
from typing import Any

from sqlalchemy import func, select

from usm_indicators.models import DataValue
from usm_indicators.values.repository import COPY_THRESHOLD
from usm_indicators.values.schemas import MAX_BULK_ROWS
from usm_indicators.values.validation import PART_ROWS
from usmdev.pytest_plugin import ServiceHarness, principal

ANALYST = principal(["city_analyst"], ["durban"])
VALUES = "/api/v1/indicators/cities/durban/values"


def row(**fields: Any) -> dict[str, Any]:
    return {
        "data_element": "HOMICIDES",
        "district_code": "DBN-CENTRAL",
        "period": "2025-03",
        "value": 4,
        "source": "SAPS",
        **fields,
    }


async def stored_count(harness: ServiceHarness) -> int:
    async with harness.runtime.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(DataValue)) or 0)


async def test_bulk_values_are_stored_replaced_and_announced(districts: ServiceHarness) -> None:
    rows = [
        row(),
        row(disaggregation={"sex": "female"}, value=1),
        row(district_code="DBN-NORTH", period="2025-Q1", value=9),
        row(data_element="POPULATION", district_code=None, period="2025", value=650000),
        row(),  # an identical duplicate is harmless
    ]
    async with districts.client(ANALYST) as client:
        first = await client.post(VALUES, json={"rows": rows})
        assert first.status_code == 200, first.text
        assert first.json() == {
            "stored": 4,
            "data_elements": ["HOMICIDES", "POPULATION"],
            "periods": ["2025", "2025-03", "2025-Q1"],
            "districts": [None, "DBN-CENTRAL", "DBN-NORTH"],
        }
        again = await client.post(VALUES, json={"rows": [row(value=5, quality="provisional")]})
        assert again.status_code == 200, again.text
        listed = (await client.get(VALUES, params={"district": "DBN-CENTRAL"})).json()
        whole_city = (await client.get(VALUES, params={"whole_city": "true"})).json()
    assert [
        (item["period"], item["disaggregation"]["sex"], item["value"], item["quality"])
        for item in listed["items"]
    ] == [("2025-03", None, 5.0, "provisional"), ("2025-03", "female", 1.0, "verified")]
    assert [item["data_element"] for item in whole_city["items"]] == ["POPULATION"]

    announced, replaced = await districts.recorded("values.updated")
    data = dict(announced.data)
    # The transaction that wrote the values: the recompute it asks for is skipped once
    # one has seen them (recompute_marks).
    assert int(data.pop("written_in")) < int(replaced.data["written_in"])
    assert data == {
        "city": "durban",
        "data_elements": ["HOMICIDES", "POPULATION"],
        "periods": ["2025", "2025-03", "2025-Q1"],
        "districts": [None, "DBN-CENTRAL", "DBN-NORTH"],
    }


async def test_every_bad_row_is_reported_and_nothing_is_stored(districts: ServiceHarness) -> None:
    rows = [
        row(),  # 0 fine
        row(data_element="UNICORNS"),  # 1
        row(district_code="DBN-ATLANTIS"),  # 2
        row(period="2025-13"),  # 3
        row(value=-1),  # 4
        row(value=2.5),  # 5: a count
        row(data_element="POLICE_OFFICERS", disaggregation={"sex": "male"}),  # 6
        row(value=7),  # 7: conflicts with row 0
        row(period="2025-W53"),  # 8: 2025 has 52 ISO weeks
        row(period="2025-03-14", value=0),  # 9 fine
        row(period="2025-04", source="SA\x00PS"),  # 10: PostgreSQL text cannot hold NUL
        row(period="2025-05", value="4"),  # 11 fine: a number in a string, as JSON allows
    ]
    async with districts.client(ANALYST) as client:
        response = await client.post(VALUES, json={"rows": rows})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = [(error["loc"][2], error["type"]) for error in response.json()["errors"]]
    assert errors == [
        (1, "unknown_data_element"),
        (2, "unknown_district"),
        (3, "bad_period"),
        (4, "impossible_value"),
        (5, "impossible_value"),
        (6, "disaggregation_not_allowed"),
        (7, "conflicting_duplicate"),
        (8, "bad_period"),
        (10, "string_pattern_mismatch"),
    ]
    assert "9 of 12 rows" in response.json()["detail"]
    assert await stored_count(districts) == 0


async def test_malformed_rows_are_refused_with_their_index(districts: ServiceHarness) -> None:
    async with districts.client(ANALYST) as client:
        response = await client.post(
            VALUES, json={"rows": [row(), row(value="many"), row(disaggregation={"sex": "x"})]}
        )
    assert response.status_code == 422
    assert {tuple(error["loc"][:3]) for error in response.json()["errors"]} == {
        ("body", "rows", 1),
        ("body", "rows", 2),
    }
    assert await stored_count(districts) == 0


async def test_a_bulk_post_is_idempotent(districts: ServiceHarness) -> None:
    headers = {"Idempotency-Key": "values-2025-03-central"}
    async with districts.client(ANALYST) as client:
        first = await client.post(VALUES, json={"rows": [row()]}, headers=headers)
        second = await client.post(VALUES, json={"rows": [row()]}, headers=headers)
    assert second.status_code == 200 and second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()


async def test_ten_thousand_rows_load_in_one_go(districts: ServiceHarness) -> None:
    rows = [
        row(period=f"{2000 + index // 365}-{1 + (index // 28) % 12:02d}-{1 + index % 28:02d}")
        for index in range(10_000)
    ]
    rows = list({value["period"]: value for value in rows}.values())
    async with districts.client(ANALYST) as client:
        response = await client.post(VALUES, json={"rows": rows})
        assert response.status_code == 200, response.text
        pages = 0
        cursor = None
        seen = 0
        while True:
            params: dict[str, Any] = {"limit": 200} | ({"cursor": cursor} if cursor else {})
            page = (await client.get(VALUES, params=params)).json()
            seen += len(page["items"])
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None or pages == 3:
                break
    assert await stored_count(districts) == len(rows)
    assert seen == 600


async def test_values_need_the_scope_and_the_city(districts: ServiceHarness) -> None:
    for who, method in [
        (principal(["city_analyst"], ["cape-town"]), "post"),
        (principal(["resident"], ["durban"]), "post"),
        (None, "get"),
        (principal(["city_analyst"], ["cape-town"]), "get"),
    ]:
        async with districts.client(who) as client:
            if method == "post":
                response = await client.post(VALUES, json={"rows": [row()]})
            else:
                response = await client.get(VALUES)
        assert response.status_code == 403


async def rows_per_value(harness: ServiceHarness) -> dict[float, int]:
    """How many stored values hold each value."""
    async with harness.runtime.database.sessions() as session:
        counts = (
            await session.execute(select(DataValue.value, func.count()).group_by(DataValue.value))
        ).all()
    return {float(value): count for value, count in counts}


def daily_rows(days: range, **fields: Any) -> list[dict[str, Any]]:
    """One row per day from 2000-01-01 on (28 days a month): a load large enough for COPY."""
    return [
        row(period=f"{2000 + day // 336}-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}", **fields)
        for day in days
    ]


async def test_a_large_load_is_all_or_nothing_and_replaces_what_it_overlaps(
    districts: ServiceHarness,
) -> None:
    first = daily_rows(range(COPY_THRESHOLD), value=1)
    async with districts.client(ANALYST) as client:
        # One bad row at the end of a large load: only it is reported, nothing is stored.
        refused = await client.post(VALUES, json={"rows": [*first, row(value=-1)]})
        assert refused.status_code == 422, refused.text
        assert [(error["loc"], error["type"]) for error in refused.json()["errors"]] == [
            (["body", "rows", COPY_THRESHOLD, "value"], "impossible_value")
        ]
        assert await stored_count(districts) == 0

        loaded = await client.post(VALUES, json={"rows": first})
        assert loaded.status_code == 200, loaded.text
        # Half the cells again with another value, half new (first, so that the COPY is
        # tried and fails on the kept ones): all stored, none twice.
        overlapping = daily_rows(
            range(3 * COPY_THRESHOLD // 2 - 1, COPY_THRESHOLD // 2 - 1, -1), value=2
        )
        again = await client.post(VALUES, json={"rows": overlapping})
        assert again.status_code == 200, again.text
        assert again.json()["stored"] == COPY_THRESHOLD
    assert await rows_per_value(districts) == {
        1.0: COPY_THRESHOLD // 2,
        2.0: COPY_THRESHOLD,
    }


async def test_a_large_load_keeps_sources_with_copys_special_characters(
    districts: ServiceHarness,
) -> None:
    # COPY's text format splits on tabs and newlines and reads backslashes (\N is NULL,
    # \. ends the data): such sources are escaped, whether the load is new or a reload.
    awkward = ["tab\there", "two\nlines", "back\\slash", "\\N", "\\.", "cr\rhere", "plain", None]
    rows = [
        {**row, "source": awkward[day % len(awkward)]}
        for day, row in enumerate(daily_rows(range(COPY_THRESHOLD)))
    ]
    async with districts.client(ANALYST) as client:
        for load in (rows, [{**row, "value": 5} for row in rows]):  # new, then a reload
            response = await client.post(VALUES, json={"rows": load})
            assert response.status_code == 200, response.text
            async with districts.runtime.database.sessions() as session:
                stored = (await session.execute(select(DataValue.period, DataValue.source))).all()
            assert sorted(stored, key=lambda each: each[0]) == sorted(
                [(each["period"], each["source"]) for each in load], key=lambda each: each[0]
            )


async def body_problem(districts: ServiceHarness, content: bytes, content_type: str) -> Any:
    """The problem document a bulk post of this body gets, after checking it is one."""
    async with districts.client(ANALYST) as client:
        response = await client.post(
            VALUES, content=content, headers={"content-type": content_type}
        )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await stored_count(districts) == 0
    return response.json()


async def test_a_body_that_is_not_json_is_refused_where_it_breaks(
    districts: ServiceHarness,
) -> None:
    problem = await body_problem(districts, b'{"rows": [', "application/json")
    assert [(error["loc"], error["type"]) for error in problem["errors"]] == [
        (["body", 10], "json_invalid")
    ]


async def test_json_the_standard_library_reads_is_still_read(districts: ServiceHarness) -> None:
    # NaN, 1e400 (infinity) and a lone surrogate are read by Python's JSON reader, not by a
    # strict one: each is reported as a problem of its row and field.
    content = (
        b'{"rows": [{"data_element": "HOMICIDES", "period": "2025-03", "value": NaN},'
        b' {"data_element": "HOMICIDES", "period": "2025-04", "value": 1e400,'
        b' "source": "\\ud800"}]}'
    )
    problem = await body_problem(districts, content, "application/json")
    assert [(error["loc"], error["type"]) for error in problem["errors"]] == [
        (["body", "rows", 0, "value"], "finite_number"),
        (["body", "rows", 1, "value"], "finite_number"),
        (["body", "rows", 1, "source"], "string_unicode"),
    ]


async def test_a_body_of_another_shape_is_refused_as_a_whole(districts: ServiceHarness) -> None:
    for content, expected in [
        (b"[]", [(["body"], "dict_type")]),
        (b'{"rows": {}}', [(["body", "rows"], "list_type")]),
        (b'{"rows": []}', [(["body", "rows"], "too_short")]),
        (
            b'{"rows": [], "city": "x"}',
            [(["body", "rows"], "too_short"), (["body", "city"], "extra_forbidden")],
        ),
    ]:
        problem = await body_problem(districts, content, "application/json")
        assert [(error["loc"], error["type"]) for error in problem["errors"]] == expected


async def test_more_rows_than_a_load_may_hold_are_refused(districts: ServiceHarness) -> None:
    content = json.dumps({"rows": [row()] * (MAX_BULK_ROWS + 1)}).encode()
    problem = await body_problem(districts, content, "application/json")
    assert [(error["loc"], error["type"]) for error in problem["errors"]] == [
        (["body", "rows"], "too_long")
    ]


async def test_a_body_sent_as_another_media_type_is_not_read_as_json(
    districts: ServiceHarness,
) -> None:
    content = json.dumps({"rows": [row()]}).encode()
    problem = await body_problem(districts, content, "text/plain")
    assert [(error["loc"], error["type"]) for error in problem["errors"]] == [
        (["body"], "dict_type")
    ]
    # A JSON media type with a suffix is JSON.
    async with districts.client(ANALYST) as client:
        response = await client.post(
            VALUES, content=content, headers={"content-type": "application/merge-patch+json"}
        )
    assert response.status_code == 200, response.text


async def test_a_load_stored_part_by_part_is_judged_whole(districts: ServiceHarness) -> None:
    # A large load is stored while it is checked, PART_ROWS rows at a time: a row of a
    # later part decides as it would in a load checked before it is stored.
    load = daily_rows(range(2 * PART_ROWS))
    async with districts.client(ANALYST) as client:
        # A later part repeats a cell of the first with another value: nothing is stored.
        refused = await client.post(VALUES, json={"rows": [*load, {**load[0], "value": 9}]})
        assert refused.status_code == 422, refused.text
        assert [(error["loc"], error["type"]) for error in refused.json()["errors"]] == [
            (["body", "rows", 2 * PART_ROWS], "conflicting_duplicate")
        ]
        assert await stored_count(districts) == 0
        # The same value again is stored once.
        repeated = await client.post(VALUES, json={"rows": [*load, load[0]]})
        assert repeated.status_code == 200, repeated.text
        assert repeated.json()["stored"] == 2 * PART_ROWS
        # New cells first, kept ones in the next part: every cell is replaced or added.
        reload = daily_rows(range(3 * PART_ROWS - 1, PART_ROWS - 1, -1), value=2)
        replaced = await client.post(VALUES, json={"rows": reload})
        assert replaced.status_code == 200, replaced.text
        # A row of another shape (a disaggregation) in a later part: stored with the rest.
        unusual = [*daily_rows(range(3 * PART_ROWS, 4 * PART_ROWS)), row(period="1999")]
        unusual[-1]["disaggregation"] = {"sex": "female"}
        mixed = await client.post(VALUES, json={"rows": unusual})
        assert mixed.status_code == 200, mixed.text
        assert mixed.json()["stored"] == PART_ROWS + 1
    assert await rows_per_value(districts) == {
        4.0: 2 * PART_ROWS + 1,  # the first part of `load`, and `unusual`
        2.0: 2 * PART_ROWS,
    }
    assert await stored_count(districts) == 4 * PART_ROWS + 1


async def test_the_collector_is_on_again_after_a_bulk_load(districts: ServiceHarness) -> None:
    async with districts.client(ANALYST) as client:
        for rows in ([row()], [row(value=-1)]):
            await client.post(VALUES, json={"rows": rows})
            assert gc.isenabled()
