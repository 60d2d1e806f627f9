import json
from datetime import date, timedelta
from typing import Any

import httpx

from usmdev.pytest_plugin import ServiceHarness, principal

GROUPS = "/api/v1/appraisals/cities/durban/working-groups"
APPRAISALS = "/api/v1/appraisals/cities/durban/appraisals"
PLANS = "/api/v1/appraisals/cities/durban/plans"
FACILITATOR = principal(["wg_facilitator"], ["durban"], subject="facilitator")
MEMBER = principal(["wg_member"], ["durban"], subject="member")
ELSEWHERE = principal(["wg_facilitator"], ["cape-town"], subject="elsewhere")
PLAN = {"title": "Inanda Human Security Plan", "summary": "Safer routes and youth work."}
LIGHTING_TARGET = {"code": "SDG_16_1_1", "baseline": 41.0, "target": 30.0, "unit": "per 100000"}


async def finalized_appraisal(client: httpx.AsyncClient) -> str:
    """A group and its finalized appraisal of DBN-INANDA; returns the appraisal id."""
    group = await client.post(
        GROUPS,
        json={"name": "Inanda", "districts": ["DBN-INANDA", "DBN-NTUZUMA"], "mandate": "M"},
    )
    created = await client.post(
        APPRAISALS,
        json={
            "working_group_id": group.json()["id"],
            "title": "Inanda 2026",
            "districts": ["DBN-INANDA"],
            "period": "2026-Q1",
            "insecurities": [
                {
                    "dimension": "personal",
                    "description": "Robberies after dark.",
                    "severity": 4,
                    "likelihood": 4,
                    "trend": "stable",
                }
            ],
            "priorities": [{"rank": 1, "dimension": "personal", "title": "Light", "votes": 9}],
        },
    )
    appraisal_id = str(created.json()["id"])
    url = f"{APPRAISALS}/{appraisal_id}/transitions"
    reviewed = await client.post(url, json={"to": "in_review"}, headers={"If-Match": '"1"'})
    final = await client.post(
        url, json={"to": "finalized"}, headers={"If-Match": reviewed.headers["etag"]}
    )
    assert final.status_code == 200, final.text
    return appraisal_id


async def add_item(client: httpx.AsyncClient, plan_id: str, **fields: Any) -> str:
    response = await client.post(f"{PLANS}/{plan_id}/items", json=fields)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def move(client: httpx.AsyncClient, plan_id: str, to: str) -> httpx.Response:
    etag = (await client.get(f"{PLANS}/{plan_id}")).headers["etag"]
    return await client.post(
        f"{PLANS}/{plan_id}/transitions", json={"to": to}, headers={"If-Match": etag}
    )


async def report(
    client: httpx.AsyncClient, plan_id: str, item_id: str, percent: int, on: str = "2026-03-31"
) -> httpx.Response:
    return await client.post(
        f"{PLANS}/{plan_id}/items/{item_id}/progress",
        json={
            "reported_on": on,
            "narrative": f"{percent}% done.",
            "percent": percent,
            "evidence_url": "https://durban.example.org/evidence.pdf",
        },
    )


async def outbox_envelopes(appraisals: ServiceHarness) -> list[dict[str, Any]]:
    outbox = appraisals.runtime.tables.outbox
    async with appraisals.runtime.database.sessions() as session:
        rows = (await session.execute(outbox.select().order_by(outbox.c.id))).all()
    return [dict(row.envelope) for row in rows]


def by_title(tree: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for node in tree:
        found[node["title"]] = node
        found.update(by_title(node["children"]))
    return found


async def test_plan_lifecycle_targets_and_worked_roll_up(appraisals: ServiceHarness) -> None:
    async with appraisals.client(FACILITATOR) as client:
        appraisal_id = await finalized_appraisal(client)
        created = await client.post(PLANS, json={**PLAN, "appraisal_ids": [appraisal_id]})
        assert created.status_code == 201, created.text
        plan = created.json()
        assert plan["status"] == "draft"
        assert plan["districts"] == ["DBN-INANDA"]
        assert plan["appraisal_ids"] == [appraisal_id]
        plan_id = plan["id"]

        a = await add_item(client, plan_id, kind="objective", title="A")
        a1 = await add_item(
            client,
            plan_id,
            kind="action",
            parent_id=a,
            title="A1",
            lead_actor="eThekwini Electricity",
            partners=["Street committee"],
            districts=["DBN-INANDA"],
            start_date="2026-02-01",
            end_date="2026-06-30",
            budget="30000",
            currency="ZAR",
            indicators=[LIGHTING_TARGET],
        )
        a2 = await add_item(
            client, plan_id, kind="action", parent_id=a, title="A2", budget=10000, currency="ZAR"
        )
        b = await add_item(client, plan_id, kind="objective", title="B")
        b1 = await add_item(client, plan_id, kind="action", parent_id=b, title="B1")
        b1a = await add_item(client, plan_id, kind="action", parent_id=b1, title="B1a")
        b1b = await add_item(
            client, plan_id, kind="action", parent_id=b1, title="B1b", budget=5000, currency="ZAR"
        )
        b2 = await add_item(
            client, plan_id, kind="action", parent_id=b, title="B2", budget=20000, currency="ZAR"
        )
        await add_item(
            client,
            plan_id,
            kind="action",
            parent_id=b,
            title="B3",
            budget=1000,
            currency="ZAR",
            status="cancelled",
        )
        items = (await client.get(f"{PLANS}/{plan_id}/items")).json()["items"]
        assert [item["title"] for item in items] == [
            "A",
            "A1",
            "A2",
            "B",
            "B1",
            "B1a",
            "B1b",
            "B2",
            "B3",
        ]

        direct = await move(client, plan_id, "active")
        assert direct.status_code == 409
        assert direct.json()["detail"] == "Only an approved plan is activated; approve it first."
        assert (await report(client, plan_id, a1, 50)).status_code == 409  # not active yet
        assert (await move(client, plan_id, "approved")).status_code == 200
        late = await client.post(
            f"{PLANS}/{plan_id}/items", json={"kind": "objective", "title": "C"}
        )
        assert late.status_code == 409
        activated = await move(client, plan_id, "active")
        assert activated.status_code == 200, activated.text
        assert activated.json()["activated_at"] is not None

        for item_id, percent in ((a1, 50), (a2, 100), (b1a, 20), (b1b, 60), (b2, 10)):
            reported = await report(client, plan_id, item_id, percent)
            assert reported.status_code == 201, reported.text
        # Parents and objectives roll up; they take no reports of their own.
        for item_id in (a, b1):
            refused = await report(client, plan_id, item_id, 30)
            assert refused.status_code == 409
            assert "rolled up" in refused.json()["detail"]
        # A late report on an earlier date is kept but does not roll progress back.
        assert (await report(client, plan_id, a1, 10, on="2026-02-28")).status_code == 201
        updates = (await client.get(f"{PLANS}/{plan_id}/items/{a1}/progress")).json()["items"]
        assert [update["percent"] for update in updates] == [10, 50]

        progress = (await client.get(f"{PLANS}/{plan_id}/progress")).json()
        nodes = by_title(progress["objectives"])
        # A = (50 x 30000 + 100 x 10000) / 40000 = 62.5, weighted by budget.
        assert (nodes["A"]["progress"], nodes["A"]["weighting"]) == (62.5, "budget")
        # B1 = (20 + 60) / 2 = 40: B1a has no budget, so equal weights.
        assert (nodes["B1"]["progress"], nodes["B1"]["weighting"]) == (40.0, "equal")
        # B = (40 + 10) / 2 = 25: B1 stands for no budget; the cancelled B3 is left out.
        assert (nodes["B"]["progress"], nodes["B"]["weighting"]) == (25.0, "equal")
        # Plan = (62.5 + 25) / 2 = 43.75, rounded half up to 43.8.
        assert (progress["progress"], progress["weighting"]) == (43.8, "equal")
        assert "budget" in progress["method"] and "equal weights" in progress["method"]
        assert nodes["A1"]["status"] == "in_progress"
        assert nodes["A2"]["status"] == "completed"

        assert (await move(client, plan_id, "completed")).status_code == 200
        assert (await move(client, plan_id, "archived")).status_code == 200
        final = await move(client, plan_id, "active")
        assert final.status_code == 409
        assert "archived" in final.json()["detail"]

    envelopes = await outbox_envelopes(appraisals)
    types = [
        envelope["type"].split(".")[3] + "." + envelope["type"].split(".")[4]
        for envelope in envelopes
    ]
    assert types == ["appraisal.finalized", "plan.published"] + ["action.progressed"] * 6
    published = envelopes[1]["data"]
    assert published["plan_id"] == plan_id
    assert published["appraisal_ids"] == [appraisal_id]
    assert published["indicator_targets"] == [
        {
            "action_id": a1,
            "indicator_code": "SDG_16_1_1",
            "districts": ["DBN-INANDA"],
            "baseline": 41.0,
            "target": 30.0,
            "unit": "per 100000",
            "target_date": "2026-06-30",
        }
    ]
    progressed = envelopes[6]["data"]
    assert progressed["action_id"] == b2
    assert progressed["plan_progress"] == 43.8
    assert "narrative" not in json.dumps(envelopes[2:]) and "evidence" not in json.dumps(
        envelopes[2:]
    )
    last = envelopes[7]["data"]
    assert (last["percent"], last["action_progress"]) == (10, 50)
    for envelope in envelopes:
        appraisals.runtime.registry.parse(json.dumps(envelope).encode())


async def test_bad_input_gets_a_clear_4xx_and_stores_nothing(appraisals: ServiceHarness) -> None:
    async with appraisals.client(FACILITATOR) as client:
        appraisal_id = await finalized_appraisal(client)
        plan_id = (await client.post(PLANS, json={**PLAN, "appraisal_ids": [appraisal_id]})).json()[
            "id"
        ]
        items = f"{PLANS}/{plan_id}/items"
        objective = await add_item(
            client,
            plan_id,
            kind="objective",
            title="O",
            start_date="2026-01-01",
            end_date="2026-12-31",
        )
        action = {"kind": "action", "parent_id": objective, "title": "X"}
        cases = [
            ({"start_date": "2026-05-01", "end_date": "2026-04-30"}, "end_date is before"),
            ({"budget": 100, "currency": "XYZ"}, "ZAR"),
            ({"budget": 100}, "currency"),
            ({"progress": 101}, "less than or equal to 100"),
            ({"progress": -1}, "greater than or equal to 0"),
            ({"districts": ["DBN-UMLAZI"]}, "not among the plan's districts"),
            ({"start_date": "2025-12-01"}, "before the parent's"),
            ({"parent_id": "0193a3c4-0000-7000-8000-0000000000ff"}, "No such item"),
            ({"parent_id": None}, "needs a parent_id"),
            ({"indicators": [{"code": "X", "baseline": 1}]}, "target"),
        ]
        for fields, message in cases:
            response = await client.post(items, json={**action, **fields})
            assert response.status_code == 422, (fields, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert message in json.dumps(response.json()), (fields, response.json())
        listed = (await client.get(items)).json()["items"]
        assert [item["id"] for item in listed] == [objective]

        # Edits in draft obey the same rules, under If-Match.
        child = await add_item(
            client, plan_id, **action, start_date="2026-02-01", budget=100, currency="ZAR"
        )
        child_url = f"{items}/{child}"
        assert (await client.get(child_url)).headers["etag"] == '"1"'
        assert (await client.patch(child_url, json={"title": "Y"})).status_code == 428
        for change, message in (
            ({"end_date": "2026-01-15"}, "end_date is before"),
            ({"end_date": "2027-01-15"}, "after the parent's"),
            ({"currency": None}, "currency"),
            ({"progress": 120}, "less than or equal to 100"),
            ({"title": None}, "May not be null"),
        ):
            refused = await client.patch(child_url, json=change, headers={"If-Match": '"1"'})
            assert refused.status_code == 422, (change, refused.text)
            assert message in json.dumps(refused.json()), (change, refused.json())
        changed = await client.patch(
            child_url,
            json={"title": "Y", "end_date": "2026-09-30", "budget": "250.50"},
            headers={"If-Match": '"1"'},
        )
        assert changed.status_code == 200, changed.text
        assert changed.headers["etag"] == '"2"'
        assert (changed.json()["title"], changed.json()["budget"]) == ("Y", "250.50")
        stale = await client.patch(child_url, json={"title": "Z"}, headers={"If-Match": '"1"'})
        assert stale.status_code == 412
        # A parent's new dates must still contain its children's (2026-02-01 to 2026-09-30).
        objective_url = f"{items}/{objective}"
        for change, message in (
            ({"end_date": "2026-08-31"}, "end_date is before that of 'Y'"),
            ({"start_date": "2026-03-01"}, "start_date is after that of 'Y'"),
        ):
            refused = await client.patch(objective_url, json=change, headers={"If-Match": '"1"'})
            assert refused.status_code == 422, (change, refused.text)
            assert refused.json()["errors"][0]["msg"].startswith(message)
        unchanged = (await client.get(objective_url)).json()
        assert (unchanged["start_date"], unchanged["end_date"]) == ("2026-01-01", "2026-12-31")

        correction = await client.post(
            f"{APPRAISALS}/{appraisal_id}/corrections", json={"reason": "Recount"}
        )
        superseded = await client.post(PLANS, json={**PLAN, "appraisal_ids": [appraisal_id]})
        assert superseded.status_code == 422
        assert superseded.json()["errors"][0]["type"] == "superseded"
        draft = await client.post(PLANS, json={**PLAN, "appraisal_ids": [correction.json()["id"]]})
        assert draft.status_code == 422
        assert draft.json()["errors"][0]["type"] == "not_finalized"
        empty = await client.post(PLANS, json={**PLAN, "appraisal_ids": []})
        assert empty.status_code == 422
        assert len((await client.get(PLANS)).json()["items"]) == 1

        leaf = await add_item(client, plan_id, **action)
        assert (await move(client, plan_id, "approved")).status_code == 200
        frozen = await client.patch(child_url, json={"title": "Z"}, headers={"If-Match": '"2"'})
        assert frozen.status_code == 409
        assert (await move(client, plan_id, "active")).status_code == 200
        out_of_range = await client.post(
            f"{items}/{leaf}/progress",
            json={"reported_on": "2026-03-01", "narrative": "n", "percent": 101},
        )
        assert out_of_range.status_code == 422
        future = (date.today() + timedelta(days=2)).isoformat()
        ahead = await report(client, plan_id, leaf, 10, on=future)
        assert ahead.status_code == 422
        assert (await client.get(f"{items}/{leaf}/progress")).json()["items"] == []
        assert (await client.get(f"{items}/{leaf}")).json()["progress"] == 0


async def test_role_and_city_rules(appraisals: ServiceHarness) -> None:
    async with appraisals.client(FACILITATOR) as client:
        appraisal_id = await finalized_appraisal(client)
        plan_id = (await client.post(PLANS, json={**PLAN, "appraisal_ids": [appraisal_id]})).json()[
            "id"
        ]
        objective = await add_item(client, plan_id, kind="objective", title="O")
        leaf = await add_item(client, plan_id, kind="action", parent_id=objective, title="L")
        await move(client, plan_id, "approved")
        await move(client, plan_id, "active")
        empty_plan = (
            await client.post(PLANS, json={**PLAN, "appraisal_ids": [appraisal_id]})
        ).json()["id"]
        no_actions = await move(client, empty_plan, "approved")
        assert no_actions.status_code == 409
        assert "without actions" in no_actions.json()["detail"]
    async with appraisals.client(MEMBER) as client:
        assert (
            await client.post(PLANS, json={**PLAN, "appraisal_ids": [appraisal_id]})
        ).status_code == 403
        assert (
            await client.post(f"{PLANS}/{plan_id}/items", json={"kind": "objective", "title": "T"})
        ).status_code == 403
        assert (await report(client, plan_id, leaf, 30)).status_code == 201
        assert (await client.get(f"{PLANS}/{plan_id}/progress")).json()["progress"] == 30.0
    async with appraisals.client(ELSEWHERE) as client:
        assert (await client.get(f"{PLANS}/{plan_id}")).status_code == 403
        assert (await report(client, plan_id, leaf, 40)).status_code == 403
        other = f"/api/v1/appraisals/cities/cape-town/plans/{plan_id}"
        assert (await client.get(other)).status_code == 404
    async with appraisals.client() as anonymous:
        assert (await anonymous.get(PLANS)).status_code == 403
