from typing import Any

from usmdev.pytest_plugin import ServiceHarness, principal

ADMIN = principal(["city_admin"], ["durban"])
CATALOGUE = "/api/v1/indicators/catalogue/indicators"
DURBAN = "/api/v1/indicators/cities/durban/indicators"

LOCAL = {
    "name_en": "Women harassed on public transport",
    "name_es": "Mujeres acosadas en el transporte público",
    "definition": "Share of women surveyed harassed on public transport in 12 months.",
    "dimension": "personal",
    "unit": "percent",
    "direction": "lower_is_better",
    "numerator": "#{HARASSMENT_VICTIMS.sex=female}",
    "denominator": "#{SURVEY_RESPONDENTS.sex=female}",
    "multiplier": 100,
    "goalpost_min": 0,
    "goalpost_max": 60,
    "sensitivity": "sensitive",
}


async def test_the_catalogue_covers_every_dimension_and_the_reference(
    indicators: ServiceHarness,
) -> None:
    async with indicators.client() as client:
        codes: list[str] = []
        dimensions: set[str] = set()
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 7} | ({"cursor": cursor} if cursor else {})
            page = (await client.get(CATALOGUE, params=params)).json()
            codes += [item["code"] for item in page["items"]]
            dimensions |= {item["dimension"] for item in page["items"]}
            cursor = page["next_cursor"]
            if cursor is None:
                break
        homicide = (await client.get(CATALOGUE, params={"dimension": "personal"})).json()
        elements = (await client.get("/api/v1/indicators/catalogue/data-elements")).json()
    assert codes == sorted(codes) and len(codes) == 26
    assert dimensions == {
        "economic",
        "food",
        "health",
        "environmental",
        "personal",
        "community",
        "political",
    }
    sdg = next(item for item in homicide["items"] if item["code"] == "SDG_16_1_1")
    assert sdg | {"definition": "-"} == {
        "code": "SDG_16_1_1",
        "origin": "platform",
        "name_en": "Victims of intentional homicide per 100000 population (by sex and age)",
        "name_es": "Víctimas de homicidio intencional por cada 100000 habitantes (por sexo y edad)",
        "definition": "-",
        "dimension": "personal",
        "unit": "per 100000 population",
        "direction": "lower_is_better",
        "numerator": "#{HOMICIDES}",
        "denominator": "#{POPULATION}",
        "multiplier": 100000.0,
        "goalpost_min": 0.0,
        "goalpost_max": 50.0,
        "standard": "SDG 16.1.1",
        "sdmx_series": "VC_IHR_PSRC",
        "sensitivity": "normal",
        "is_active": True,
    }
    assert {item["dimension"] for item in homicide["items"]} == {"personal"}
    assert "HOMICIDES" in {element["code"] for element in elements["items"]}


async def test_a_city_deactivates_a_platform_indicator_and_adds_its_own(
    indicators: ServiceHarness,
) -> None:
    async with indicators.client(ADMIN) as client:
        off = await client.put(f"{DURBAN}/SDG_16_1_2", json={"is_active": False})
        assert off.status_code == 200, off.text
        assert off.json()["is_active"] is False
        created = await client.put(
            f"{DURBAN}/DBN_TRANSPORT_HARASSMENT", json={"is_active": True, "local": LOCAL}
        )
        assert created.status_code == 201, created.text
        assert created.json()["origin"] == "city"
        replaced = await client.put(
            f"{DURBAN}/DBN_TRANSPORT_HARASSMENT",
            json={"is_active": True, "local": LOCAL | {"goalpost_max": 80}},
        )
        assert replaced.status_code == 200 and replaced.json()["goalpost_max"] == 80
        inactive = (await client.get(DURBAN, params={"active": "false"})).json()
        personal = (await client.get(DURBAN, params={"dimension": "personal", "limit": 200})).json()
        platform = (await client.get(CATALOGUE, params={"active": "false"})).json()
    assert [item["code"] for item in inactive["items"]] == ["SDG_16_1_2"]
    assert "DBN_TRANSPORT_HARASSMENT" in {item["code"] for item in personal["items"]}
    # The platform catalogue itself is untouched.
    assert platform["items"] == []


BAD_CHANGES: list[tuple[str, dict[str, Any], int, str | None]] = [
    (
        "DBN_X",
        {"is_active": True, "local": LOCAL | {"numerator": "#{HOMICIDES} +"}},
        422,
        "formula.syntax",
    ),
    (
        "DBN_X",
        {"is_active": True, "local": LOCAL | {"numerator": "#{NOPE}"}},
        422,
        "formula.unknown_data_element",
    ),
    (
        "DBN_X",
        {"is_active": True, "local": LOCAL | {"numerator": "#{POLICE_OFFICERS.sex=male}"}},
        422,
        "formula.disaggregation_not_allowed",
    ),
    ("DBN_X", {"is_active": True}, 404, None),
    ("SDG_16_1_1", {"is_active": True, "local": LOCAL}, 409, None),
    ("SDG_16_1_1", {"is_active": True, "colour": "red"}, 422, "extra_forbidden"),
]


async def test_bad_indicator_changes_are_refused(indicators: ServiceHarness) -> None:
    async with indicators.client(ADMIN) as client:
        for code, body, status, error_type in BAD_CHANGES:
            response = await client.put(f"{DURBAN}/{code}", json=body)
            assert response.status_code == status, response.text
            assert response.headers["content-type"] == "application/problem+json"
            if error_type:
                assert error_type in {error["type"] for error in response.json()["errors"]}


async def test_changing_a_city_catalogue_needs_admin_in_that_city(
    indicators: ServiceHarness,
) -> None:
    for who in [
        principal(["city_admin"], ["cape-town"]),
        principal(["city_analyst"], ["durban"]),
        None,
    ]:
        async with indicators.client(who) as client:
            response = await client.put(f"{DURBAN}/SDG_16_1_1", json={"is_active": False})
        assert response.status_code == 403


async def test_unknown_city_is_not_found(indicators: ServiceHarness) -> None:
    async with indicators.client(principal(["platform_admin"], ["*"])) as client:
        assert (
            await client.get("/api/v1/indicators/cities/atlantis/indicators")
        ).status_code == 404
        put = await client.put(
            "/api/v1/indicators/cities/atlantis/indicators/SDG_16_1_1", json={"is_active": False}
        )
        assert put.status_code == 404
