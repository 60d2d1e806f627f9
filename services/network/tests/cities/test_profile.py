from usmdev.pytest_plugin import ServiceFactory, principal

ADMIN = principal(["platform_admin"], ["*"])
DURBAN_ADMIN = principal(["city_admin"], ["durban"], subject="durban-admin")
JUAREZ_ADMIN = principal(["city_admin"], ["ciudad-juarez"], subject="juarez-admin")
DURBAN = {
    "slug": "durban",
    "name": "Durban (eThekwini)",
    "name_es": "Durban",
    "country_code": "ZA",
    "region": "KwaZulu-Natal",
    "population": 3900000,
    "role": "pilot",
    "member_since": "2024-03-01",
    "languages": ["en", "zu"],
    "time_zone": "Africa/Johannesburg",
    "contacts": [{"name": "Safer Cities Unit", "email": "safer@example.org"}],
}
JUAREZ = {
    "slug": "ciudad-juarez",
    "name": "Ciudad Juárez",
    "country_code": "MX",
    "role": "pilot",
    "languages": ["es"],
    "time_zone": "America/Ciudad_Juarez",
}


async def test_full_profile_with_contacts_only_for_writers_in_the_city(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("network") as network:
        async with network.client(ADMIN) as admin:
            created = await admin.post("/api/v1/network/cities", json=DURBAN)
            assert created.status_code == 201, created.text
            assert created.headers["etag"] == '"1"'
            assert created.json()["time_zone"] == "Africa/Johannesburg"
            assert created.json()["origin_node"] is None
        async with network.client(DURBAN_ADMIN) as durban:
            mine = (await durban.get("/api/v1/network/cities/durban")).json()
            assert mine["contacts"] == [
                {
                    "name": "Safer Cities Unit",
                    "position": None,
                    "email": "safer@example.org",
                    "phone": None,
                }
            ]
        for who in (JUAREZ_ADMIN, None, principal(["city_analyst"], ["durban"])):
            async with network.client(who) as other:
                seen = (await other.get("/api/v1/network/cities/durban")).json()
                assert seen["contacts"] is None
                assert seen["population"] == 3900000
                listed = (await other.get("/api/v1/network/cities")).json()["items"]
                assert listed[0]["contacts"] is None


async def test_invalid_country_time_zone_and_membership_are_field_problems(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("network") as network, network.client(ADMIN) as client:
        response = await client.post(
            "/api/v1/network/cities",
            json={**JUAREZ, "country_code": "XX", "time_zone": "Mars/Olympus_Mons"},
        )
        assert response.status_code == 422
        fields = {tuple(error["loc"]) for error in response.json()["errors"]}
        assert fields == {("body", "country_code"), ("body", "time_zone")}
        backwards = await client.post(
            "/api/v1/network/cities",
            json={**JUAREZ, "member_since": "2025-01-01", "member_until": "2024-01-01"},
        )
        assert backwards.status_code == 422


async def test_patch_needs_a_fresh_if_match_and_emits_city_updated(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("network") as network:
        async with network.client(ADMIN) as admin:
            await admin.post("/api/v1/network/cities", json=DURBAN)
        async with network.client(DURBAN_ADMIN) as client:
            url = "/api/v1/network/cities/durban"
            missing = await client.patch(url, json={"population": 4000000})
            assert missing.status_code == 428
            stale = await client.patch(url, json={"population": 1}, headers={"If-Match": '"7"'})
            assert stale.status_code == 412
            assert stale.headers["etag"] == '"1"'
            changed = await client.patch(
                url,
                json={"population": 4000000, "region": None, "contacts": []},
                headers={"If-Match": '"1"'},
            )
            assert changed.status_code == 200, changed.text
            assert changed.headers["etag"] == '"2"'
            body = changed.json()
            assert (body["population"], body["region"], body["contacts"]) == (4000000, None, [])
            again = await client.patch(url, json={"population": 2}, headers={"If-Match": '"1"'})
            assert again.status_code == 412
            role = await client.patch(url, json={"role": "learning"}, headers={"If-Match": '"2"'})
            assert role.status_code == 403
            nulled = await client.patch(url, json={"name": None}, headers={"If-Match": '"2"'})
            assert nulled.status_code == 422
        outbox = network.runtime.tables.outbox
        async with network.runtime.database.sessions() as session:
            rows = (await session.execute(outbox.select().order_by(outbox.c.id))).all()
        assert [row.event_type for row in rows] == [
            "org.usm.network.city.registered.v1",
            "org.usm.network.city.updated.v1",
        ]
        data = rows[1].envelope["data"]
        assert data["population"] == 4000000
        assert data["version"] == 2
        assert "contacts" not in data
        assert "safer@example.org" not in str(rows[1].envelope)


async def test_patch_needs_write_scope_in_that_city(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network:
        async with network.client(ADMIN) as admin:
            await admin.post("/api/v1/network/cities", json=DURBAN)
        headers = {"If-Match": '"1"'}
        body = {"population": 5}
        async with network.client(JUAREZ_ADMIN) as other:
            refused = await other.patch("/api/v1/network/cities/durban", json=body, headers=headers)
            assert refused.status_code == 403
        async with network.client(principal(["city_analyst"], ["durban"])) as analyst:
            refused = await analyst.patch(
                "/api/v1/network/cities/durban", json=body, headers=headers
            )
            assert refused.status_code == 403
        async with network.client(ADMIN) as admin:
            missing = await admin.patch(
                "/api/v1/network/cities/nowhere", json=body, headers=headers
            )
            assert missing.status_code == 404


async def test_partnerships_between_member_cities(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network:
        async with network.client(ADMIN) as admin:
            for city in (DURBAN, JUAREZ):
                await admin.post("/api/v1/network/cities", json=city)
        twinning = {
            "city_a": "durban",
            "city_b": "ciudad-juarez",
            "kind": "twinning",
            "since": "2025-06-01",
            "description": "Facilitator exchange.",
        }
        async with network.client(DURBAN_ADMIN) as client:
            created = await client.post(
                "/api/v1/network/partnerships",
                json=twinning,
                headers={"Idempotency-Key": "twin-durban-juarez-0001"},
            )
            assert created.status_code == 201, created.text
            # Stored as an ordered pair whatever the direction it was sent in.
            assert (created.json()["city_a"], created.json()["city_b"]) == (
                "ciudad-juarez",
                "durban",
            )
            swapped = {**twinning, "city_a": "ciudad-juarez", "city_b": "durban"}
            duplicate = await client.post("/api/v1/network/partnerships", json=swapped)
            assert duplicate.status_code == 409
            unknown = await client.post(
                "/api/v1/network/partnerships", json={**twinning, "city_b": "atlantis"}
            )
            assert unknown.status_code == 422
            assert unknown.json()["errors"][0]["loc"] == ["body", "city_b"]
            itself = await client.post(
                "/api/v1/network/partnerships", json={**twinning, "city_b": "durban"}
            )
            assert itself.status_code == 422
        async with network.client(principal(["city_admin"], ["cape-town"])) as outsider:
            refused = await outsider.post(
                "/api/v1/network/partnerships", json={**twinning, "kind": "mentoring"}
            )
            assert refused.status_code == 403
        async with network.client() as anonymous:
            listed = await anonymous.get("/api/v1/network/partnerships", params={"city": "durban"})
            assert [link["kind"] for link in listed.json()["items"]] == ["twinning"]
            none = await anonymous.get("/api/v1/network/partnerships", params={"kind": "mentoring"})
            assert none.json()["items"] == []
            bad = await anonymous.get("/api/v1/network/partnerships", params={"cursor": "WyJ4Il0"})
            assert bad.status_code == 400
