import json
from pathlib import Path

from usmdev.pytest_plugin import ServiceFactory
from usmkit.events.cloudevents import new_event

EXAMPLES = Path(__file__).resolve().parents[4] / "contracts" / "events" / "examples"


async def test_a_published_plan_becomes_a_plan_summary(usm_service: ServiceFactory) -> None:
    data = json.loads((EXAMPLES / "org.usm.appraisals.plan.published.v1.json").read_text())["data"]
    plan = new_event(
        service="appraisals",
        name="plan.published",
        subject=data["plan_id"],
        city=data["city"],
        data=data,
    )
    async with usm_service("network") as network:
        assert await network.deliver(plan) is True
        assert await network.deliver(plan) is False
        async with network.client() as anonymous:
            page = (
                await anonymous.get("/api/v1/network/knowledge", params={"kind": "plan_summary"})
            ).json()
        [item] = page["items"]
        assert item["title"] == data["title"]
        assert item["origin_city"] == data["city"]
        target = data["indicator_targets"][0]
        assert f"<code>{target['indicator_code']}</code>" in item["body_html"]
