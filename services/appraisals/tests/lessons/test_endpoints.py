import json
from typing import Any

from sqlalchemy import select

from usmdev.events import city_registered
from usmdev.pytest_plugin import ServiceFactory, principal
from usmdev.waiting import eventually

LESSONS = "/api/v1/appraisals/lessons"
FACILITATOR = principal(["wg_facilitator"], ["durban"], subject="facilitator")
MEMBER = principal(["wg_member"], ["durban"], subject="member")
ELSEWHERE = principal(["wg_facilitator"], ["cape-town"], subject="elsewhere")
LESSON = {
    "city": "durban",
    "title": "Lighting walking routes to schools",
    "summary": "Residents mapped dark routes; the city lit them first.",
    "language": "en",
}


async def test_create_then_publish_records_lesson_published(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("appraisals") as appraisals, appraisals.client(FACILITATOR) as client:
        await appraisals.deliver(city_registered("durban"))
        created = await client.post(LESSONS, json=LESSON)
        assert created.status_code == 201, created.text
        lesson = created.json()
        assert lesson["status"] == "draft"
        assert lesson["published_at"] is None
        assert created.headers["etag"] == '"1"'
        assert created.headers["location"] == f"{LESSONS}/{lesson['id']}"

        fetched = await client.get(f"{LESSONS}/{lesson['id']}")
        assert fetched.status_code == 200
        assert fetched.json() == lesson

        published = await client.post(
            f"{LESSONS}/{lesson['id']}/publish", headers={"If-Match": fetched.headers["etag"]}
        )
        assert published.status_code == 200, published.text
        assert published.json()["status"] == "published"
        assert published.json()["published_at"] is not None
        assert published.headers["etag"] == '"2"'

        outbox = appraisals.runtime.tables.outbox
        async with appraisals.runtime.database.sessions() as session:
            rows = (await session.execute(outbox.select())).all()
        assert [row.event_type for row in rows] == ["org.usm.appraisals.lesson.published.v1"]
        assert rows[0].message_key == "durban"
        assert rows[0].topic.endswith("usm.appraisals.v1")
        assert rows[0].envelope["subject"] == lesson["id"]
        assert rows[0].envelope["city"] == "durban"
        assert rows[0].envelope["data"] == {"lesson_id": lesson["id"], **LESSON}
        # Envelope and data both match their contracts, as a consumer would check them.
        appraisals.runtime.registry.parse(json.dumps(rows[0].envelope).encode())

        async def relayed() -> bool:
            async with appraisals.runtime.database.sessions() as session:
                sent = await session.scalar(select(outbox.c.published_at))
            return sent is not None

        await eventually(relayed, timeout_s=30, what="the relay to publish lesson.published")


async def test_publishing_needs_a_current_if_match(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("appraisals") as appraisals, appraisals.client(FACILITATOR) as client:
        await appraisals.deliver(city_registered("durban"))
        lesson_id = (await client.post(LESSONS, json=LESSON)).json()["id"]
        publish = f"{LESSONS}/{lesson_id}/publish"

        missing = await client.post(publish)
        assert missing.status_code == 428
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["status"] == 428

        stale = await client.post(publish, headers={"If-Match": '"7"'})
        assert stale.status_code == 412
        assert stale.json()["status"] == 412
        assert stale.headers["etag"] == '"1"'

        weak = await client.post(publish, headers={"If-Match": 'W/"1"'})
        assert weak.status_code == 412

        first = await client.post(publish, headers={"If-Match": '"1"'})
        assert first.status_code == 200
        again = await client.post(publish, headers={"If-Match": first.headers["etag"]})
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"

        outbox = appraisals.runtime.tables.outbox
        async with appraisals.runtime.database.sessions() as session:
            rows = (await session.execute(outbox.select())).all()
        assert len(rows) == 1


async def test_publishing_needs_the_manage_scope(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("appraisals") as appraisals:
        await appraisals.deliver(city_registered("durban"))
        async with appraisals.client(MEMBER) as client:
            lesson_id = (await client.post(LESSONS, json=LESSON)).json()["id"]
            refused = await client.post(
                f"{LESSONS}/{lesson_id}/publish", headers={"If-Match": '"1"'}
            )
        assert refused.status_code == 403


async def test_writes_only_in_your_own_city(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("appraisals") as appraisals:
        await appraisals.deliver(city_registered("durban"))
        async with appraisals.client(ELSEWHERE) as client:
            refused = await client.post(LESSONS, json=LESSON)
        assert refused.status_code == 403
        assert refused.json()["status"] == 403

        async with appraisals.client(FACILITATOR) as client:
            lesson_id = (await client.post(LESSONS, json=LESSON)).json()["id"]
        async with appraisals.client(ELSEWHERE) as client:
            # Another city's draft does not exist for this facilitator.
            hidden = await client.post(
                f"{LESSONS}/{lesson_id}/publish", headers={"If-Match": '"1"'}
            )
        assert hidden.status_code == 404


async def test_unknown_city_is_a_field_error(
    usm_service: ServiceFactory,
) -> None:
    anywhere = principal(["wg_facilitator"], ["*"])
    async with usm_service("appraisals") as appraisals, appraisals.client(anywhere) as client:
        await appraisals.deliver(city_registered("durban"))
        response = await client.post(LESSONS, json={**LESSON, "city": "atlantis"})
        assert response.status_code == 422
        assert [error["loc"] for error in response.json()["errors"]] == [["body", "city"]]

        invalid = await client.post(LESSONS, json={**LESSON, "language": "eng", "title": ""})
        assert invalid.status_code == 422
        fields = {tuple(error["loc"]) for error in invalid.json()["errors"]}
        assert fields == {("body", "language"), ("body", "title")}


async def test_drafts_are_private_published_lessons_public(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("appraisals") as appraisals:
        await appraisals.deliver(city_registered("durban"))
        async with appraisals.client(FACILITATOR) as client:
            draft_id = (await client.post(LESSONS, json=LESSON)).json()["id"]
            shared_id = (await client.post(LESSONS, json={**LESSON, "title": "Shared"})).json()[
                "id"
            ]
            await client.post(f"{LESSONS}/{shared_id}/publish", headers={"If-Match": '"1"'})

        async with appraisals.client() as anonymous:
            assert (await anonymous.get(f"{LESSONS}/{draft_id}")).status_code == 404
            shared = await anonymous.get(f"{LESSONS}/{shared_id}")
            assert shared.status_code == 200
            assert shared.headers["etag"] == '"2"'
            listed = (await anonymous.get(LESSONS, params={"city": "durban"})).json()
            assert [item["id"] for item in listed["items"]] == [shared_id]
            drafts = (await anonymous.get(LESSONS, params={"status": "draft"})).json()
            assert drafts["items"] == []

        async with appraisals.client(ELSEWHERE) as client:
            assert (await client.get(f"{LESSONS}/{draft_id}")).status_code == 404

        async with appraisals.client(MEMBER) as client:
            assert (await client.get(f"{LESSONS}/{draft_id}")).status_code == 200
            drafts = (await client.get(LESSONS, params={"status": "draft"})).json()
            assert [item["id"] for item in drafts["items"]] == [draft_id]


async def test_cursor_pagination_walks_every_lesson_once(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("appraisals") as appraisals, appraisals.client(FACILITATOR) as client:
        await appraisals.deliver(city_registered("durban"))
        created = [
            (await client.post(LESSONS, json={**LESSON, "title": f"Lesson {index}"})).json()["id"]
            for index in range(7)
        ]
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = (await client.get(LESSONS, params=params)).json()
            seen += [lesson["id"] for lesson in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == list(reversed(created))
        bad = await client.get(LESSONS, params={"cursor": "%%%"})
        assert bad.status_code == 400
        tampered = await client.get(LESSONS, params={"cursor": "WyJub3QtYS1kYXRlIl0"})
        assert tampered.status_code == 400


async def test_idempotency_key_replays_the_created_lesson(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("appraisals") as appraisals, appraisals.client(FACILITATOR) as client:
        await appraisals.deliver(city_registered("durban"))
        headers = {"Idempotency-Key": "3f0c6d1e-lesson-create-1"}
        first = await client.post(LESSONS, json=LESSON, headers=headers)
        second = await client.post(LESSONS, json=LESSON, headers=headers)
        assert first.status_code == 201
        assert second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"
        listed = (await client.get(LESSONS)).json()
        assert len(listed["items"]) == 1
