from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from usmdev.pytest_plugin import ServiceHarness, principal

PLANS = "/api/v1/appraisals/cities/durban/plans"
FACILITATOR = principal(["wg_facilitator"], ["durban"], subject="facilitator")
REVIEWER = principal(["wg_facilitator"], ["durban"], subject="reviewer")
MEMBER = principal(["wg_member"], ["durban"], subject="member")
ELSEWHERE = principal(["city_admin"], ["cape-town"], subject="elsewhere")
LIGHTING, WALKING = "Light the footpaths", "Walking groups"


async def move(client: httpx.AsyncClient, plan_id: str, to: str) -> httpx.Response:
    etag = (await client.get(f"{PLANS}/{plan_id}")).headers["etag"]
    return await client.post(
        f"{PLANS}/{plan_id}/transitions", json={"to": to}, headers={"If-Match": etag}
    )


async def report(client: httpx.AsyncClient, plan_id: str, item_id: str, percent: int) -> None:
    response = await client.post(
        f"{PLANS}/{plan_id}/items/{item_id}/progress",
        json={"reported_on": "2026-03-31", "narrative": f"{percent}%", "percent": percent},
    )
    assert response.status_code == 201, response.text


async def items_by_title(client: httpx.AsyncClient, plan_id: str) -> dict[str, dict[str, Any]]:
    items = (await client.get(f"{PLANS}/{plan_id}/items")).json()["items"]
    return {item["title"]: item for item in items}


async def published(appraisals: ServiceHarness) -> list[dict[str, Any]]:
    return [event.data for event in await appraisals.recorded("plan.published")]


async def test_an_active_plan_changes_only_through_a_new_version(
    appraisals: ServiceHarness, plan_builder: Callable[..., Awaitable[Any]]
) -> None:
    async with appraisals.client(FACILITATOR) as client:
        built = await plan_builder(client, to="active")
        original = built.plan_id
        await report(client, original, built.actions[LIGHTING], 40)

        back = await move(client, original, "draft")
        assert back.status_code == 409
        assert back.json()["detail"] == (
            "An active plan changes only through a new version (POST .../revisions)."
        )
        no_note = await client.post(f"{PLANS}/{original}/revisions", json={})
        assert no_note.status_code == 422
        created = await client.post(
            f"{PLANS}/{original}/revisions",
            json={"change_note": "Mid-term review.", "title": "Inanda plan, revised"},
        )
        assert created.status_code == 201, created.text
        revised = created.json()
        assert (revised["status"], revised["revision"]) == ("draft", 2)
        assert (revised["series_id"], revised["revises_id"]) == (original, original)
        assert revised["appraisal_ids"] == [built.appraisal_id]
        revision = revised["id"]

        again = await client.post(f"{PLANS}/{original}/revisions", json={"change_note": "x"})
        assert again.status_code == 409
        assert again.json()["detail"] == (
            "Version 2 of this plan exists (draft); only the latest version is revised."
        )
        of_draft = await client.post(f"{PLANS}/{revision}/revisions", json={"change_note": "x"})
        assert of_draft.status_code == 409

        # The copy: same tree in the same order, with the reports so far.
        copied = await items_by_title(client, revision)
        assert list(copied) == ["Safer routes", LIGHTING, WALKING]
        assert copied[LIGHTING]["parent_id"] == copied["Safer routes"]["id"]
        assert copied[LIGHTING]["progress"] == 40
        assert copied[LIGHTING]["budget"] == "30000.00"
        history = await client.get(f"{PLANS}/{revision}/items/{copied[LIGHTING]['id']}/progress")
        assert [update["percent"] for update in history.json()["items"]] == [40]

        # The active version keeps being tracked meanwhile; the draft is edited.
        await report(client, original, built.actions[LIGHTING], 60)
        walking = copied[WALKING]
        changed = await client.patch(
            f"{PLANS}/{revision}/items/{walking['id']}",
            json={"end_date": "2026-12-31", "budget": "12000"},
            headers={"If-Match": '"1"'},
        )
        assert changed.status_code == 200, changed.text
        added = await client.post(
            f"{PLANS}/{revision}/items",
            json={"kind": "action", "parent_id": copied["Safer routes"]["id"], "title": "Schools"},
        )
        assert added.status_code == 201

    async with appraisals.client(REVIEWER) as client:
        assert (await move(client, revision, "approved")).status_code == 200
        activated = await move(client, revision, "active")
        assert activated.status_code == 200, activated.text
        assert (await client.get(f"{PLANS}/{original}")).json()["status"] == "archived"
        now = await items_by_title(client, revision)
        assert now[LIGHTING]["progress"] == 60  # the late report came over
        history = await client.get(f"{PLANS}/{revision}/items/{now[LIGHTING]['id']}/progress")
        assert sorted(update["percent"] for update in history.json()["items"]) == [40, 60]
        progress = (await client.get(f"{PLANS}/{revision}/progress")).json()
        # Schools has no budget, so equal weights: (60 + 0 + 0) / 3.
        assert progress["progress"] == 20.0

        versions = await client.get(f"{PLANS}/{revision}/versions")
        assert versions.status_code == 200, versions.text
        first, second = versions.json()["items"]
        assert (first["revision"], first["status"], first["changes"]) == (1, "archived", None)
        assert (first["created_by"], second["created_by"]) == ("facilitator", "facilitator")
        assert (second["revision"], second["status"]) == (2, "active")
        assert second["change_note"] == "Mid-term review."
        changes = second["changes"]
        assert changes["plan_fields"] == ["title"]
        assert [item["title"] for item in changes["items_added"]] == ["Schools"]
        assert [(item["title"], item["fields"]) for item in changes["items_changed"]] == [
            (WALKING, ["end_date", "budget"])
        ]
        paged = (await client.get(f"{PLANS}/{original}/versions", params={"limit": 1})).json()
        assert [version["revision"] for version in paged["items"]] == [1]
        rest = await client.get(
            f"{PLANS}/{original}/versions", params={"limit": 1, "cursor": paged["next_cursor"]}
        )
        assert [version["revision"] for version in rest.json()["items"]] == [2]
        assert rest.json()["next_cursor"] is None

    events = await published(appraisals)
    assert [(event["plan_id"], event["revision"]) for event in events] == [
        (original, 1),
        (revision, 2),
    ]
    assert events[1]["series_id"] == original and events[1]["revises_id"] == original
    assert events[0]["revises_id"] is None

    async with appraisals.client(MEMBER) as client:
        refused = await client.post(f"{PLANS}/{revision}/revisions", json={"change_note": "x"})
        assert refused.status_code == 403
    async with appraisals.client(ELSEWHERE) as client:
        other = await client.post(f"{PLANS}/{revision}/revisions", json={"change_note": "x"})
        assert other.status_code == 403
        assert (await client.get(f"{PLANS}/{revision}/versions")).status_code == 403
