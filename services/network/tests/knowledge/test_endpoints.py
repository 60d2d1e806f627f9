import httpx

from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal
from usmkit.events.cloudevents import new_event

ADMIN = principal(["platform_admin"], ["*"])
DURBAN_ADMIN = principal(["city_admin"], ["durban"], subject="durban-admin")
JUAREZ_ANALYST = principal(["city_analyst"], ["ciudad-juarez"], subject="juarez-analyst")
URL = "/api/v1/network/knowledge"
LIGHTING = {
    "kind": "practice",
    "title": "Lighting walking routes to schools",
    "summary": "Residents mapped dark routes; the city lit them first.",
    "body": "## What we did\n\n- Night **walks** with parents <script>alert(1)</script>\n",
    "dimensions": ["personal", "community"],
    "tags": ["lighting", "schools"],
    "origin_city": "durban",
    "language": "en",
}
MERCADOS = {
    "kind": "case_study",
    "title": "Mercados seguros para vendedoras",
    "summary": "Las vendedoras organizaron rondas nocturnas en los mercados.",
    "body": "Las comerciantes **caminaron** juntas.",
    "dimensions": ["economic", "personal"],
    "tags": ["markets"],
    "origin_city": "ciudad-juarez",
    "language": "es",
}


async def register(network: ServiceHarness, *slugs: str) -> None:
    async with network.client(ADMIN) as admin:
        for slug in slugs:
            response = await admin.post(
                "/api/v1/network/cities",
                json={"slug": slug, "name": slug.title(), "country_code": "ZA", "role": "pilot"},
            )
            assert response.status_code == 201, response.text


async def share(client: httpx.AsyncClient, item: dict[str, object]) -> dict[str, object]:
    response = await client.post(URL, json=item)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_create_shows_a_sanitised_body(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network:
        await register(network, "durban")
        async with network.client(DURBAN_ADMIN) as client:
            created = await client.post(
                URL, json=LIGHTING, headers={"Idempotency-Key": "share-lighting-0001"}
            )
            assert created.status_code == 201, created.text
            assert created.headers["etag"] == '"1"'
            item = created.json()
            assert "<script>" not in item["body"]
            assert "<script>" not in item["body_html"]
            assert "<h2>What we did</h2>" in item["body_html"]
            assert "<strong>walks</strong>" in item["body_html"]
            assert (item["version"], item["licence"], item["origin_node"]) == (1, "CC-BY-4.0", None)
            fetched = await client.get(f"{URL}/{item['id']}")
            assert fetched.json() == item
        outbox = network.runtime.tables.outbox
        async with network.runtime.database.sessions() as session:
            rows = (await session.execute(outbox.select().order_by(outbox.c.id))).all()
        published = rows[-1].envelope
        assert published["type"] == "org.usm.network.knowledge.published.v1"
        assert (published["city"], published["data"]["item_id"]) == ("durban", item["id"])
        assert "body" not in published["data"]


async def test_writes_need_network_write_in_the_origin_city(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network:
        await register(network, "durban")
        async with network.client(JUAREZ_ANALYST) as analyst:
            assert (await analyst.post(URL, json=LIGHTING)).status_code == 403
        async with network.client(principal(["city_admin"], ["ciudad-juarez"])) as other:
            assert (await other.post(URL, json=LIGHTING)).status_code == 403
        async with network.client(DURBAN_ADMIN) as client:
            unknown = await client.post(URL, json={**LIGHTING, "origin_city": "atlantis"})
            assert unknown.status_code == 403
        async with network.client(ADMIN) as admin:
            unknown = await admin.post(URL, json={**LIGHTING, "origin_city": "atlantis"})
            assert unknown.status_code == 422
            bad = await admin.post(URL, json={**LIGHTING, "kind": "rumour", "language": "fr"})
            assert {tuple(e["loc"]) for e in bad.json()["errors"]} == {
                ("body", "kind"),
                ("body", "language"),
            }


async def test_update_and_delete_need_a_fresh_etag(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network:
        await register(network, "durban")
        async with network.client(DURBAN_ADMIN) as client:
            item = await share(client, LIGHTING)
            url = f"{URL}/{item['id']}"
            assert (await client.patch(url, json={"title": "New"})).status_code == 428
            stale = await client.patch(url, json={"title": "New"}, headers={"If-Match": '"9"'})
            assert stale.status_code == 412
            changed = await client.patch(
                url, json={"title": "Safer school routes"}, headers={"If-Match": '"1"'}
            )
            assert changed.status_code == 200, changed.text
            assert (changed.json()["version"], changed.headers["etag"]) == (2, '"2"')
            assert (await client.delete(url, headers={"If-Match": '"1"'})).status_code == 412
            assert (await client.delete(url, headers={"If-Match": '"2"'})).status_code == 204
            assert (await client.get(url)).status_code == 404
        async with network.client(JUAREZ_ANALYST) as analyst:
            refused = await analyst.patch(url, json={"title": "x"}, headers={"If-Match": '"2"'})
            assert refused.status_code == 403


async def test_full_text_search_in_each_language_with_filters_and_facets(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("network") as network:
        await register(network, "durban", "ciudad-juarez")
        async with network.client(ADMIN) as admin:
            await share(admin, LIGHTING)
            await share(admin, MERCADOS)
            await share(
                admin,
                {**LIGHTING, "title": "Street lights policy", "kind": "policy", "tags": []},
            )
        async with network.client() as anonymous:

            async def search(**params: str) -> dict[str, object]:
                response = await anonymous.get(URL, params=params)
                assert response.status_code == 200, response.text
                body: dict[str, object] = response.json()
                return body

            def titles(page: dict[str, object]) -> list[str]:
                assert isinstance(page["items"], list)
                return [item["title"] for item in page["items"]]

            # English stemming: "school" finds "schools".
            found = await search(q="school")
            assert titles(found) == ["Lighting walking routes to schools"]
            # Spanish stemming: "mercado" finds "mercados", "vendedora" finds "vendedoras".
            assert titles(await search(q="mercado vendedora")) == [MERCADOS["title"]]
            assert titles(await search(q='"rondas nocturnas"')) == [MERCADOS["title"]]
            # "lighting" and "lights" share the stem "light"; `-policy` excludes.
            assert titles(await search(q="lights -policy")) == [LIGHTING["title"]]
            assert len(titles(await search(q="light"))) == 2
            assert titles(await search(q="light", kind="policy")) == ["Street lights policy"]
            assert titles(await search(tag="markets")) == [MERCADOS["title"]]
            assert titles(await search(dimension="economic")) == [MERCADOS["title"]]
            assert titles(await search(city="ciudad-juarez", language="es")) == [MERCADOS["title"]]
            everything = await search()
            assert everything["facets"] == {
                "kind": {"case_study": 1, "policy": 1, "practice": 1},
                "dimension": {"community": 2, "economic": 1, "personal": 3},
                "language": {"en": 2, "es": 1},
            }
            lights = await search(q="light")
            assert lights["facets"]["language"] == {"en": 2}  # type: ignore[index]


async def test_search_pages_walk_every_match_once(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network:
        await register(network, "durban")
        async with network.client(DURBAN_ADMIN) as client:
            for index in range(5):
                await share(client, {**LIGHTING, "title": f"Route lighting {index}"})
        async with network.client() as anonymous:
            for params in ({"q": "lighting"}, {}):
                seen: list[str] = []
                cursor = None
                while True:
                    query = {**params, "limit": "2", **({"cursor": cursor} if cursor else {})}
                    page = (await anonymous.get(URL, params=query)).json()
                    seen += [item["id"] for item in page["items"]]
                    cursor = page["next_cursor"]
                    if cursor is None:
                        break
                assert len(seen) == len(set(seen)) == 5
            assert (await anonymous.get(URL, params={"cursor": "WyJ4Il0"})).status_code == 400


async def test_comments_and_questions_from_other_cities(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network:
        await register(network, "durban")
        async with network.client(DURBAN_ADMIN) as client:
            item = await share(client, LIGHTING)
        comments = f"{URL}/{item['id']}/comments"
        question = {"kind": "question", "city": "ciudad-juarez", "body": "How did you choose?"}
        async with network.client(JUAREZ_ANALYST) as analyst:
            asked = await analyst.post(
                comments, json=question, headers={"Idempotency-Key": "ask-durban-lighting-01"}
            )
            assert asked.status_code == 201, asked.text
            assert asked.json()["author"] == "juarez-analyst"
            elsewhere = await analyst.post(comments, json={**question, "city": "durban"})
            assert elsewhere.status_code == 403
            missing = await analyst.post(
                f"{URL}/0193a3c4-0000-7000-8000-000000000009/comments", json=question
            )
            assert missing.status_code == 404
            listed = (await analyst.get(comments)).json()["items"]
            assert [(c["kind"], c["city"]) for c in listed] == [("question", "ciudad-juarez")]
        async with network.client() as anonymous:
            assert (await anonymous.post(comments, json=question)).status_code == 403
            assert (await anonymous.get(comments)).status_code == 403


async def test_a_published_lesson_becomes_searchable_knowledge(
    usm_service: ServiceFactory,
) -> None:
    lesson = new_event(
        service="appraisals",
        name="lesson.published",
        subject="0193a3c4-0000-7000-8000-000000000001",
        city="ciudad-juarez",
        data={
            "lesson_id": "0193a3c4-0000-7000-8000-000000000001",
            "city": "ciudad-juarez",
            "title": "Iluminar las rutas escolares",
            "summary": "Las vecinas mapearon las calles oscuras.",
            "language": "es",
        },
    )
    async with usm_service("network") as network:
        assert await network.deliver(lesson) is True
        assert await network.deliver(lesson) is False
        async with network.client() as anonymous:
            page = (await anonymous.get(URL, params={"q": "calle oscura"})).json()
            assert [item["kind"] for item in page["items"]] == ["lesson"]
