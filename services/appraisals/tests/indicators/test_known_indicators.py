import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from usmdev.pytest_plugin import ServiceHarness, principal
from usmkit.events.cloudevents import CloudEvent, default_contracts_dir, new_event

DURBAN = "/api/v1/appraisals/cities/durban"
FACILITATOR = principal(["wg_facilitator"], ["durban", "cape-town"], subject="facilitator")
EXAMPLES = default_contracts_dir() / "events" / "examples"


def example(event_type: str, **fields: Any) -> CloudEvent:
    """The contract's example event of `event_type`, in a new envelope, data overridden."""
    data = {
        **CloudEvent.model_validate_json((EXAMPLES / f"{event_type}.json").read_text()).data,
        **fields,
    }
    service, _, name = event_type.removeprefix("org.usm.").rpartition(".v1")[0].partition(".")
    return new_event(
        service=service, name=name, subject=str(uuid.uuid4()), city=data["city"], data=data
    )


async def test_indicator_codes_are_checked_once_the_city_publishes_them(
    appraisals: ServiceHarness, plan_builder: Callable[..., Awaitable[Any]]
) -> None:
    async with appraisals.client(FACILITATOR) as client:
        built = await plan_builder(client, to="draft")  # cites SDG_16_1_1 before any is known
        items = f"{DURBAN}/plans/{built.plan_id}/items"
        action = {"kind": "action", "parent_id": built.objective_id, "title": "Patrols"}

        def target(code: str) -> dict[str, Any]:
            return {"indicators": [{"code": code, "baseline": 10, "target": 5}]}

        malformed = await client.post(items, json={**action, **target("iso-13.2")})
        assert malformed.status_code == 422

        aggregates = example("org.usm.indicators.aggregates.published.v1")
        assert await appraisals.deliver(aggregates) is True
        count = len((await client.get(items)).json()["items"])
        unknown = await client.post(items, json={**action, **target("SDG_99_9_9")})
        assert unknown.status_code == 422, unknown.text
        assert unknown.json()["errors"] == [
            {
                "loc": ["body", "indicators", 0, "code"],
                "msg": "SDG_99_9_9 is not an indicator of durban.",
                "type": "unknown_indicator",
            }
        ]
        assert len((await client.get(items)).json()["items"]) == count  # nothing stored
        known = await client.post(items, json={**action, **target("SDG_5_2_1")})
        assert known.status_code == 201, known.text
        edited = await client.patch(
            f"{items}/{known.json()['id']}",
            json=target("SDG_99_9_9"),
            headers={"If-Match": '"1"'},
        )
        assert edited.status_code == 422

        # An alert teaches its indicator's code too.
        alert = example("org.usm.indicators.alert.raised.v1", indicator_code="ISO37120_14_1")
        assert await appraisals.deliver(alert) is True
        taught = await client.post(items, json={**action, **target("ISO37120_14_1")})
        assert taught.status_code == 201, taught.text

        appraisal = {
            "working_group_id": built.group_id,
            "title": "Evidence",
            "districts": ["DBN-INANDA"],
            "period": "2026-Q2",
            "insecurities": [
                {
                    "dimension": "personal",
                    "description": "d",
                    "severity": 3,
                    "likelihood": 3,
                    "trend": "stable",
                    "evidence": {"indicator_codes": ["SDG_16_1_1", "SDG_0_0"]},
                }
            ],
        }
        listed = len((await client.get(f"{DURBAN}/appraisals")).json()["items"])
        refused = await client.post(f"{DURBAN}/appraisals", json=appraisal)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["loc"] == [
            "body",
            "insecurities",
            0,
            "evidence",
            "indicator_codes",
            1,
        ]
        assert len((await client.get(f"{DURBAN}/appraisals")).json()["items"]) == listed

        # Nothing published for cape-town yet: well-formed codes are taken as given.
        group = await client.post(
            "/api/v1/appraisals/cities/cape-town/working-groups",
            json={"name": "G", "districts": ["CPT-ATLANTIS"], "mandate": "M"},
        )
        accepted = await client.post(
            "/api/v1/appraisals/cities/cape-town/appraisals",
            json={
                **appraisal,
                "working_group_id": group.json()["id"],
                "districts": ["CPT-ATLANTIS"],
            },
        )
        assert accepted.status_code == 201, accepted.text
