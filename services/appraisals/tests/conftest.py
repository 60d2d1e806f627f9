from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from usmdev.events import city_registered
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness

DURBAN = "/api/v1/appraisals/cities/durban"


@pytest.fixture
async def appraisals(usm_service: ServiceFactory) -> AsyncIterator[ServiceHarness]:
    """The appraisals service, with `durban` and `cape-town` known from `city.registered`."""
    async with usm_service("appraisals") as harness:
        await harness.deliver(city_registered("durban"))
        await harness.deliver(city_registered("cape-town"))
        yield harness


@dataclass(frozen=True)
class BuiltPlan:
    group_id: str
    appraisal_id: str
    plan_id: str
    objective_id: str
    # Titles → ids of the actions under the objective.
    actions: dict[str, str]


async def build_plan(client: httpx.AsyncClient, *, to: str = "active") -> BuiltPlan:
    """A Durban group (DBN-INANDA, DBN-NTUZUMA), its finalized appraisal of DBN-INANDA and a
    plan with one objective and two actions, moved on to `to` (draft, approved or active)."""
    group = await client.post(
        f"{DURBAN}/working-groups",
        json={"name": "Inanda", "districts": ["DBN-INANDA", "DBN-NTUZUMA"], "mandate": "M"},
    )
    assert group.status_code == 201, group.text
    group_id = str(group.json()["id"])
    appraisal = await client.post(
        f"{DURBAN}/appraisals",
        json={
            "working_group_id": group_id,
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
    appraisal_id = str(appraisal.json()["id"])
    for to_status in ("in_review", "finalized"):
        etag = (await client.get(f"{DURBAN}/appraisals/{appraisal_id}")).headers["etag"]
        moved = await client.post(
            f"{DURBAN}/appraisals/{appraisal_id}/transitions",
            json={"to": to_status},
            headers={"If-Match": etag},
        )
        assert moved.status_code == 200, moved.text
    plan = await client.post(
        f"{DURBAN}/plans",
        json={"title": "Inanda plan", "summary": "Safer routes.", "appraisal_ids": [appraisal_id]},
    )
    plan_id = str(plan.json()["id"])
    items = f"{DURBAN}/plans/{plan_id}/items"
    objective = await client.post(items, json={"kind": "objective", "title": "Safer routes"})
    objective_id = str(objective.json()["id"])
    actions = {}
    for title, fields in (
        (
            "Light the footpaths",
            {
                "lead_actor": "eThekwini Electricity",
                "districts": ["DBN-INANDA"],
                "start_date": "2026-02-01",
                "end_date": "2026-06-30",
                "budget": "30000",
                "currency": "ZAR",
                "indicators": [{"code": "SDG_16_1_1", "baseline": 41.0, "target": 30.0}],
            },
        ),
        ("Walking groups", {"budget": "10000", "currency": "ZAR"}),
    ):
        action = await client.post(
            items, json={"kind": "action", "parent_id": objective_id, "title": title, **fields}
        )
        assert action.status_code == 201, action.text
        actions[title] = str(action.json()["id"])
    for to_status in ("approved", "active")[: ("draft", "approved", "active").index(to)]:
        etag = (await client.get(f"{DURBAN}/plans/{plan_id}")).headers["etag"]
        moved = await client.post(
            f"{DURBAN}/plans/{plan_id}/transitions",
            json={"to": to_status},
            headers={"If-Match": etag},
        )
        assert moved.status_code == 200, moved.text
    return BuiltPlan(group_id, appraisal_id, plan_id, objective_id, actions)


@pytest.fixture
def plan_builder() -> Callable[..., Awaitable[BuiltPlan]]:
    """`await plan_builder(client, to="active")`: see `build_plan`."""
    return build_plan
