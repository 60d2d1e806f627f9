from usmdev.pytest_plugin import ServiceFactory, principal

ADMIN = principal(["platform_admin"], ["*"])
DURBAN = {"slug": "durban", "name": "Durban (eThekwini)", "country_code": "ZA", "role": "pilot"}


async def test_register_and_list_cities(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network, network.client(ADMIN) as client:
        created = await client.post("/api/v1/network/cities", json=DURBAN)
        assert created.status_code == 201, created.text
        assert created.json()["slug"] == "durban"

        listed = await client.get("/api/v1/network/cities")
        assert [city["slug"] for city in listed.json()["items"]] == ["durban"]

        again = await client.post("/api/v1/network/cities", json=DURBAN)
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"


async def test_registration_writes_city_registered_to_the_outbox(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("network") as network, network.client(ADMIN) as client:
        await client.post("/api/v1/network/cities", json=DURBAN)
        outbox = network.runtime.tables.outbox
        async with network.runtime.database.sessions() as session:
            rows = (await session.execute(outbox.select())).all()
        assert [row.event_type for row in rows] == ["org.usm.network.city.registered.v1"]
        assert rows[0].envelope["data"] == DURBAN
        assert rows[0].message_key == "durban"


async def test_registering_needs_the_admin_scope(usm_service: ServiceFactory) -> None:
    analyst = principal(["city_analyst"], ["durban"])
    async with usm_service("network") as network, network.client(analyst) as client:
        refused = await client.post("/api/v1/network/cities", json=DURBAN)
        assert refused.status_code == 403
        assert refused.json()["status"] == 403


async def test_invalid_city_is_a_validation_problem(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network, network.client(ADMIN) as client:
        response = await client.post(
            "/api/v1/network/cities", json={**DURBAN, "slug": "Not A Slug", "country_code": "za"}
        )
        assert response.status_code == 422
        fields = {tuple(error["loc"]) for error in response.json()["errors"]}
        assert fields == {("body", "slug"), ("body", "country_code")}


async def test_idempotency_key_replays_the_first_answer(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network, network.client(ADMIN) as client:
        headers = {"Idempotency-Key": "0b8f7c2e-register-durban"}
        first = await client.post("/api/v1/network/cities", json=DURBAN, headers=headers)
        second = await client.post("/api/v1/network/cities", json=DURBAN, headers=headers)
        assert first.status_code == 201
        assert second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"
        other = await client.post(
            "/api/v1/network/cities", json={**DURBAN, "name": "Other"}, headers=headers
        )
        assert other.status_code == 422


async def test_cursor_pagination_walks_every_city_once(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network, network.client(ADMIN) as client:
        slugs = [f"city-{index:02d}" for index in range(7)]
        for slug in slugs:
            await client.post("/api/v1/network/cities", json={**DURBAN, "slug": slug})
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/v1/network/cities", params=params)).json()
            seen += [city["slug"] for city in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == slugs
        bad = await client.get("/api/v1/network/cities", params={"cursor": "%%%"})
        assert bad.status_code == 400


async def test_calls_without_the_internal_token_are_refused(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network, network.client() as client:
        response = await client.get(
            "/api/v1/network/cities", headers={"Authorization": "Bearer forged"}
        )
        assert response.status_code == 401


async def test_stored_idempotent_answers_are_sealed(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network, network.client(ADMIN) as client:
        key = "5d7e1c9a-seal-check"
        await client.post("/api/v1/network/cities", json=DURBAN, headers={"Idempotency-Key": key})
        table = network.runtime.tables.idempotency_keys
        async with network.runtime.database.sessions() as session:
            row = (await session.execute(table.select())).one()
        assert b"Durban" not in row.response_sealed
        assert key not in row.key_hash
        short = await client.post(
            "/api/v1/network/cities", json=DURBAN, headers={"Idempotency-Key": "short"}
        )
        assert short.status_code == 422


async def test_values_the_database_cannot_store_are_a_422(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network, network.client(ADMIN) as client:
        response = await client.get("/api/v1/network/cities/dur%00ban")
        nul_in_body = await client.post(
            "/api/v1/network/cities", json={**DURBAN, "name": "Dur\x00ban"}
        )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert nul_in_body.status_code == 422
