from typing import Any

import pytest
from sqlalchemy import func, select

from usm_indicators.models import DataValue
from usm_indicators.values.repository import COPY_THRESHOLD
from usmdev.pytest_plugin import ServiceHarness, principal

ANALYST = principal(["city_analyst"], ["durban"])
UPLOAD = "/api/v1/indicators/cities/durban/values/upload"
SDMX_CSV = "application/vnd.sdmx.data+csv; version=1.0.0"


async def stored(harness: ServiceHarness) -> list[tuple[Any, ...]]:
    async with harness.runtime.database.sessions() as session:
        rows = (await session.scalars(select(DataValue).order_by(DataValue.period))).all()
    return [
        (row.data_element_code, row.district_code, row.period, row.sex, float(row.value))
        for row in rows
    ]


async def test_a_csv_body_is_loaded(districts: ServiceHarness) -> None:
    text = (
        "data_element,district_code,period,value,sex,source,quality\n"
        "HOMICIDES,DBN-CENTRAL,2025-03,4,female,SAPS,verified\n"
        "\n"
        "POPULATION,,2025,650000,,Census,estimated\n"
    )
    async with districts.client(ANALYST) as client:
        response = await client.post(UPLOAD, content=text, headers={"content-type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 2
    assert await stored(districts) == [
        ("POPULATION", "", "2025", "", 650000.0),
        ("HOMICIDES", "DBN-CENTRAL", "2025-03", "female", 4.0),
    ]


async def test_an_sdmx_csv_file_is_loaded_from_a_form(districts: ServiceHarness) -> None:
    text = (
        "DATAFLOW,DATA_ELEMENT,REF_AREA,SEX,AGE,DISABILITY,TIME_PERIOD,OBS_VALUE,OBS_STATUS\n"
        "USM:CITY_DATA(1.0),HOMICIDES,DBN-NORTH,M,_T,_T,2025-Q1,9,P\n"
        "USM:CITY_DATA(1.0),POPULATION,_T,_T,_T,_T,2025,650000,E\n"
    )
    async with districts.client(ANALYST) as client:
        response = await client.post(
            UPLOAD, files={"file": ("durban.csv", text.encode(), SDMX_CSV)}
        )
        assert response.status_code == 200, response.text
        listed = (
            await client.get(
                "/api/v1/indicators/cities/durban/values", params={"data_element": "HOMICIDES"}
            )
        ).json()["items"]
    assert [(item["disaggregation"]["sex"], item["quality"]) for item in listed] == [
        ("male", "provisional")
    ]
    assert await stored(districts) == [
        ("POPULATION", "", "2025", "", 650000.0),
        ("HOMICIDES", "DBN-NORTH", "2025-Q1", "male", 9.0),
    ]


async def test_every_bad_line_is_reported_with_its_number_and_nothing_is_stored(
    districts: ServiceHarness,
) -> None:
    text = (
        "DATAFLOW,DATA_ELEMENT,REF_AREA,SEX,AGE,DISABILITY,TIME_PERIOD,OBS_VALUE,OBS_STATUS\n"
        "USM:CITY_DATA(1.0),HOMICIDES,DBN-CENTRAL,F,_T,_T,2025-03,4,A\n"  # 2 fine
        "USM:CITY_DATA(1.0),UNICORNS,DBN-CENTRAL,_T,_T,_T,2025-03,4,A\n"  # 3
        "USM:CITY_DATA(1.0),HOMICIDES,DBN-CENTRAL,X,_T,_T,2025-03,4,A\n"  # 4 sex code
        "USM:CITY_DATA(1.0),HOMICIDES,DBN-CENTRAL,_T,_T,_T,2025-13,4,A\n"  # 5 period
        "USM:CITY_DATA(1.0),HOMICIDES,DBN-CENTRAL,_T,_T,_T,2025-03,many,A\n"  # 6 value
        "OTHER:FLOW(1.0),HOMICIDES,DBN-CENTRAL,_T,_T,_T,2025-03,4,A\n"  # 7 dataflow
        "USM:CITY_DATA(1.0),HOMICIDES,DBN-CENTRAL\n"  # 8 short
        "USM:CITY_DATA(1.0),HOMICIDES,DBN-CENTRAL,F,_T,_T,2025-03,5,A\n"  # 9 conflicts with 2
    )
    async with districts.client(ANALYST) as client:
        response = await client.post(UPLOAD, content=text, headers={"content-type": SDMX_CSV})
    assert response.status_code == 422, response.text
    problems = [(error["loc"][2:], error["type"]) for error in response.json()["errors"]]
    # In line order, each naming the SDMX column it is about.
    assert problems == [
        ([3, "DATA_ELEMENT"], "unknown_data_element"),
        ([4, "SEX"], "unknown_code"),
        ([5, "TIME_PERIOD"], "bad_period"),
        ([6, "OBS_VALUE"], "float_parsing"),
        ([7, "DATAFLOW"], "unknown_dataflow"),
        ([8], "bad_csv"),
        ([9], "conflicting_duplicate"),
    ]
    assert "7 of 8 rows" in response.json()["detail"]
    assert await stored(districts) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "missing_header"),
        ("data_element,period\n", "missing_column"),
        ("data_element,period,value,colour\nHOMICIDES,2025,1,red\n", "unknown_column"),
        ("data_element,period,value\n", "empty_upload"),
    ],
)
async def test_bad_headers_are_refused(districts: ServiceHarness, text: str, problem: str) -> None:
    async with districts.client(ANALYST) as client:
        response = await client.post(UPLOAD, content=text, headers={"content-type": "text/csv"})
    assert response.status_code == 422
    assert problem in {error["type"] for error in response.json()["errors"]}


async def test_other_media_types_are_refused(districts: ServiceHarness) -> None:
    async with districts.client(ANALYST) as client:
        response = await client.post(UPLOAD, json={"rows": []})
        assert response.status_code == 415
        assert response.headers["content-type"] == "application/problem+json"
        latin = await client.post(
            UPLOAD,
            content=b"data_element,period,value\nHOMICIDES,2025,1\n" + b"\xff\n",
            headers={"content-type": "text/csv"},
        )
        assert latin.status_code == 422


async def test_a_large_upload_goes_through_copy_all_or_nothing(
    districts: ServiceHarness,
) -> None:
    days = [
        f"{2000 + index // 336}-{1 + index // 28 % 12:02d}-{1 + index % 28:02d}"
        for index in range(3 * COPY_THRESHOLD)
    ]
    lines = [f"HOMICIDES,DBN-CENTRAL,{day},{index % 7}" for index, day in enumerate(days)]
    header = "data_element,district_code,period,value\n"
    bad = "\n".join([*lines, "HOMICIDES,DBN-CENTRAL,2001-01-01,-1"]) + "\n"
    async with districts.client(ANALYST) as client:
        refused = await client.post(
            UPLOAD, content=header + bad, headers={"content-type": "text/csv"}
        )
        assert refused.status_code == 422
        assert [error["loc"] for error in refused.json()["errors"]] == [
            ["body", "line", len(lines) + 2, "value"]
        ]
        assert await count(districts) == 0
        loaded = await client.post(
            UPLOAD, content=header + "\n".join(lines), headers={"content-type": "text/csv"}
        )
        assert loaded.status_code == 200, loaded.text
        assert await count(districts) == len(lines)
        # Loading again replaces (upserts) rather than duplicating.
        again = await client.post(
            UPLOAD,
            content=header + "\n".join(line[:-1] + "9" for line in lines),
            headers={"content-type": "text/csv"},
        )
        assert again.status_code == 200, again.text
    assert await count(districts) == len(lines)
    async with districts.runtime.database.sessions() as session:
        assert {float(value) for value in (await session.scalars(select(DataValue.value)))} == {9.0}


async def count(harness: ServiceHarness) -> int:
    async with harness.runtime.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(DataValue)) or 0)
