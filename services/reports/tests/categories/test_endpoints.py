from collections.abc import Awaitable, Callable
from typing import Any

from usmdev.events import city_registered
from usmdev.pytest_plugin import ServiceFactory, principal

SeedCity = Callable[..., Awaitable[None]]
ADMIN = principal(["city_admin"], ["durban"])
BASE = "/api/v1/reports/cities/durban/categories"
POTHOLE: dict[str, Any] = {
    "code": "pothole",
    "names": {"en": "Pothole", "es": "Bache", "zu": "Umgodi emgwaqweni"},
    "descriptions": {"en": "A hole in the road.", "es": "Un hoyo en la calle."},
    "group": "Roads",
    "keywords": ["road", "hole"],
    "dimension": "economic",
    "sensitivity": "normal",
    "attributes": [
        {
            "code": "size",
            "datatype": "singlevaluelist",
            "required": True,
            "order": 2,
            "description": "How big is it?",
            "values": [{"key": "small", "name": "Small"}, {"key": "large", "name": "Large"}],
        },
        {"code": "depth_cm", "datatype": "number", "order": 1, "description": "How deep?"},
    ],
    "agency_responsible": "eThekwini Roads",
}


async def test_an_admin_creates_and_anyone_reads_in_their_language(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("reports") as reports:
        await reports.deliver(city_registered("durban"))
        async with reports.client(ADMIN) as admin:
            created = await admin.post(BASE, json=POTHOLE)
            assert created.status_code == 201, created.text
            assert created.headers["etag"] == '"1"'
            body = created.json()
            assert body["name"] == "Pothole"
            assert [attribute["code"] for attribute in body["attributes"]] == ["depth_cm", "size"]
            assert body["agency_responsible"] == "eThekwini Roads"
        async with reports.client() as anonymous:
            spanish = await anonymous.get(f"{BASE}/pothole", headers={"Accept-Language": "es-MX"})
            assert spanish.status_code == 200
            assert spanish.headers["content-language"] == "es"
            assert (spanish.json()["name"], spanish.json()["description"]) == (
                "Bache",
                "Un hoyo en la calle.",
            )
            zulu = await anonymous.get(f"{BASE}/pothole", headers={"Accept-Language": "zu"})
            assert zulu.headers["content-language"] == "zu"
            # No Zulu description: English is the fallback.
            assert (zulu.json()["name"], zulu.json()["description"]) == (
                "Umgodi emgwaqweni",
                "A hole in the road.",
            )
            other = await anonymous.get(BASE, headers={"Accept-Language": "fr"})
            assert other.headers["content-language"] == "en"
            assert [item["name"] for item in other.json()["items"]] == ["Pothole"]


async def test_writes_need_the_admin_scope_in_the_city(usm_service: ServiceFactory) -> None:
    async with usm_service("reports") as reports:
        await reports.deliver(city_registered("durban"))
        for who in (None, principal(["city_analyst"], ["durban"])):
            async with reports.client(who) as client:
                refused = await client.post(BASE, json=POTHOLE)
                assert refused.status_code == 403
                assert refused.headers["content-type"] == "application/problem+json"
        async with reports.client(principal(["city_admin"], ["cape-town"])) as elsewhere:
            assert (await elsewhere.post(BASE, json=POTHOLE)).status_code == 403
            # Tenancy first: another city's admin learns nothing of the category, not even
            # whether it exists, whatever body and If-Match they send.
            patched = await elsewhere.patch(
                f"{BASE}/pothole", json={"active": False}, headers={"If-Match": '"1"'}
            )
            assert patched.status_code == 403
        async with reports.client(ADMIN) as admin:
            unknown_city = await admin.post(
                "/api/v1/reports/cities/atlantis/categories", json=POTHOLE
            )
            assert unknown_city.status_code == 403
        platform = principal(["platform_admin"], ["*"])
        async with reports.client(platform) as admin:
            unknown_city = await admin.post(
                "/api/v1/reports/cities/atlantis/categories", json=POTHOLE
            )
            assert unknown_city.status_code == 404
            assert (await admin.post(BASE, json=POTHOLE)).status_code == 201
            again = await admin.post(BASE, json=POTHOLE)
            assert again.status_code == 409


async def test_bad_definitions_are_field_errors(usm_service: ServiceFactory) -> None:
    async with usm_service("reports") as reports, reports.client(ADMIN) as admin:
        await reports.deliver(city_registered("durban"))
        size = POTHOLE["attributes"][0]
        cases: list[tuple[dict[str, Any], list[str | int]]] = [
            ({**POTHOLE, "dimension": "spiritual"}, ["body", "dimension"]),
            ({**POTHOLE, "sensitivity": "secret"}, ["body", "sensitivity"]),
            ({**POTHOLE, "names": {"es": "Bache"}}, ["body", "names", "en"]),
            ({**POTHOLE, "names": {"en": "Pothole", "fr": "Nid"}}, ["body", "names", "fr"]),
            ({**POTHOLE, "code": "Pot Hole"}, ["body", "code"]),
            (
                {**POTHOLE, "attributes": [{**size, "datatype": "colour"}]},
                ["body", "attributes", 0, "datatype"],
            ),
            ({**POTHOLE, "attributes": [{**size, "values": []}]}, ["body", "attributes", 0]),
            ({**POTHOLE, "attributes": [size, size]}, ["body"]),
        ]
        for body, loc in cases:
            response = await admin.post(BASE, json=body)
            assert response.status_code == 422, (loc, response.text)
            assert response.json()["errors"][0]["loc"] == loc
        listed = await admin.get(BASE, params={"include_inactive": "true"})
        assert listed.json()["items"] == []


async def test_update_with_if_match_and_deactivation_stops_intake(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports)
        base = BASE
        async with reports.client(ADMIN) as admin:
            read = await admin.get(f"{base}/flooding")
            etag = read.headers["etag"]
            stale = await admin.patch(
                f"{base}/flooding", json={"active": False}, headers={"If-Match": '"99"'}
            )
            assert stale.status_code == 412
            changed = await admin.patch(
                f"{base}/flooding",
                json={"active": False, "agency_responsible": "Disaster Management"},
                headers={"If-Match": etag},
            )
            assert changed.status_code == 200, changed.text
            assert changed.json()["active"] is False
            assert changed.json()["version"] == 2
            assert changed.json()["agency_responsible"] == "Disaster Management"
            assert changed.json()["names"]["zu"] == "Izikhukhula noma umsele ovalekile"
            assert changed.headers["etag"] == '"2"'
            unknown = await admin.patch(f"{base}/potholes", json={"active": False})
            assert unknown.status_code == 404
            with_inactive = await admin.get(base, params={"include_inactive": "true"})
            assert "flooding" in [item["code"] for item in with_inactive.json()["items"]]
        async with reports.client() as anonymous:
            public = await anonymous.get(base)
            codes = [item["code"] for item in public.json()["items"]]
            assert "flooding" not in codes
            assert len(codes) == 7
            refused = await anonymous.get(base, params={"include_inactive": "true"})
            assert refused.status_code == 403
            submitted = await anonymous.post(
                "/api/v1/reports",
                json={
                    "city": "durban",
                    "category_code": "flooding",
                    "latitude": -29.85,
                    "longitude": 31.05,
                },
            )
            assert submitted.status_code == 422
            assert submitted.json()["errors"][0]["loc"] == ["body", "category_code"]


async def test_list_pages_walk_every_category_once(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports, reports.client() as anonymous:
        await seed_city(reports)
        await seed_city(reports, "ciudad-juarez")
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {"limit": 3}
            if cursor:
                params["cursor"] = cursor
            page = (await anonymous.get(BASE, params=params)).json()
            seen += [item["code"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(
            [
                "streetlight",
                "dark-path",
                "burglary",
                "flooding",
                "illegal-dumping",
                "gbv",
                "sexual-harassment",
                "domestic-violence",
            ]
        )
        assert len(seen) == len(set(seen))
        unknown = await anonymous.get("/api/v1/reports/cities/atlantis/categories")
        assert unknown.status_code == 404
        juarez = await anonymous.get(
            "/api/v1/reports/cities/ciudad-juarez/categories/gbv",
            headers={"Accept-Language": "es"},
        )
        assert juarez.json()["name"] == "Violencia de género"
        assert juarez.json()["sensitivity"] == "sensitive"
