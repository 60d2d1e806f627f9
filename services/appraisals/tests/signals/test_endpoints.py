import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select

from usm_appraisals.models import Signal
from usmdev.events import city_registered
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal
from usmdev.waiting import eventually
from usmkit.events.cloudevents import CONTENT_TYPE, CloudEvent, default_contracts_dir, new_event
from usmkit.events.topics import topic_for

SIGNALS = "/api/v1/appraisals/cities/durban/signals"
GROUPS = "/api/v1/appraisals/cities/durban/working-groups"
FACILITATOR = principal(["wg_facilitator"], ["durban"], subject="facilitator")
MEMBER = principal(["wg_member"], ["durban"], subject="member")
ANALYST = principal(["city_analyst"], ["durban"], subject="analyst")
ELSEWHERE = principal(["city_admin"], ["cape-town"], subject="elsewhere")
EXAMPLES = default_contracts_dir() / "events" / "examples"
EXAMPLE = EXAMPLES / "org.usm.indicators.alert.raised.v1.json"


def example_alert() -> CloudEvent:
    return CloudEvent.model_validate_json(EXAMPLE.read_text())


def alert(**fields: Any) -> CloudEvent:
    """Another alert like the example's (new event id and alert id unless given)."""
    data = {**example_alert().data, "alert_id": str(uuid.uuid4()), **fields}
    return new_event(
        service="indicators",
        name="alert.raised",
        subject=data["alert_id"],
        city=data["city"],
        data=data,
    )


async def signal_count(appraisals: ServiceHarness) -> int:
    async with appraisals.runtime.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Signal)) or 0)


async def test_alerts_reach_the_active_groups_of_their_area_exactly_once(
    appraisals: ServiceHarness,
) -> None:
    async with appraisals.client(FACILITATOR) as client:
        ids = {}
        for name, districts in (
            ("Central and North", ["DBN-CENTRAL", "DBN-NORTH"]),
            ("North", ["DBN-NORTH"]),
            ("Central, resting", ["DBN-CENTRAL"]),
        ):
            created = await client.post(
                GROUPS, json={"name": name, "districts": districts, "mandate": "M"}
            )
            ids[name] = created.json()["id"]
        resting = f"{GROUPS}/{ids['Central, resting']}"
        etag = (await client.get(resting)).headers["etag"]
        paused = await client.patch(
            resting, json={"status": "inactive"}, headers={"If-Match": etag}
        )
        assert paused.status_code == 200, paused.text
    async with appraisals.client(
        principal(["wg_facilitator"], ["cape-town"], subject="cpt")
    ) as client:
        await client.post(
            "/api/v1/appraisals/cities/cape-town/working-groups",
            json={"name": "Atlantis", "districts": ["DBN-CENTRAL"], "mandate": "M"},
        )

    example = example_alert()
    assert await appraisals.deliver(example) is True
    assert await appraisals.deliver(example) is False  # redelivered: the inbox drops it
    assert await signal_count(appraisals) == 1
    # The same alert in a new envelope (a producer retry) still makes no second signal.
    assert await appraisals.deliver(alert(alert_id=example.data["alert_id"])) is True
    assert await signal_count(appraisals) == 1
    city_wide = alert(district_code=None, severity="critical", dimension="economic")
    assert await appraisals.deliver(city_wide) is True
    assert await signal_count(appraisals) == 3

    async with appraisals.client(MEMBER) as client:
        listed = await client.get(SIGNALS)
        assert listed.status_code == 200, listed.text
        signals = listed.json()["items"]
        assert {(s["working_group_id"], s["district_code"]) for s in signals} == {
            (ids["Central and North"], "DBN-CENTRAL"),
            (ids["Central and North"], None),
            (ids["North"], None),
        }
        first = next(s for s in signals if s["district_code"] == "DBN-CENTRAL")
        assert first["alert_id"] == example.data["alert_id"]
        assert (first["value"], first["reference"], first["status"]) == (41.7, 35.0, "new")
        assert first["message"] == example.data["message"]

        async def listed_ids(**params: str) -> set[str]:
            response = await client.get(SIGNALS, params=params)
            assert response.status_code == 200, response.text
            return {s["id"] for s in response.json()["items"]}

        assert await listed_ids(severity="warning") == {first["id"]}
        assert len(await listed_ids(dimension="economic")) == 2
        assert len(await listed_ids(working_group_id=ids["North"])) == 1
        assert len(await listed_ids(status="new")) == 3
        assert await listed_ids(status="acknowledged") == set()
        bad = await client.get(SIGNALS, params={"severity": "apocalyptic"})
        assert bad.status_code == 422
        pages: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get(SIGNALS, params=params)).json()
            pages.extend(s["id"] for s in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(pages) == sorted(s["id"] for s in signals)

    async with appraisals.client(ANALYST) as client:
        assert (await client.get(SIGNALS)).status_code == 200  # city staff read
    for who in (ELSEWHERE, None):
        async with appraisals.client(who) as client:
            assert (await client.get(SIGNALS)).status_code in (401, 403)


async def test_acknowledge_and_link_signals(
    appraisals: ServiceHarness, plan_builder: Callable[..., Awaitable[Any]]
) -> None:
    async with appraisals.client(FACILITATOR) as client:
        built = await plan_builder(client, to="active")
        other = await client.post(
            GROUPS, json={"name": "Other", "districts": ["DBN-INANDA"], "mandate": "M"}
        )
        other_appraisal = await client.post(
            "/api/v1/appraisals/cities/durban/appraisals",
            json={
                "working_group_id": other.json()["id"],
                "title": "Other",
                "districts": ["DBN-INANDA"],
                "period": "2026-Q1",
            },
        )
    await appraisals.deliver(alert(district_code="DBN-INANDA"))
    await appraisals.deliver(alert(district_code="DBN-NTUZUMA"))

    async with appraisals.client(MEMBER) as client:
        mine = (await client.get(SIGNALS, params={"working_group_id": built.group_id})).json()
        inanda, ntuzuma = sorted(mine["items"], key=lambda s: s["district_code"])
        url = f"{SIGNALS}/{inanda['id']}"
        without = await client.post(f"{url}/acknowledge", json={})
        assert without.status_code == 428
        seen = await client.post(
            f"{url}/acknowledge", json={"note": "Seen in March."}, headers={"If-Match": '"1"'}
        )
        assert seen.status_code == 200, seen.text
        assert seen.json()["status"] == "acknowledged"
        assert seen.json()["acknowledged_by"] == "member"
        again = await client.post(f"{url}/acknowledge", json={}, headers={"If-Match": '"2"'})
        assert again.status_code == 409
        assert again.json()["detail"] == "The signal is already acknowledged."

        refusals = [
            ({"appraisal_id": built.appraisal_id, "insecurity": 3}, "insecurity"),
            ({"appraisal_id": other_appraisal.json()["id"], "insecurity": 0}, "appraisal_id"),
            ({"plan_id": built.plan_id, "item_id": built.objective_id}, "item_id"),
            ({"plan_id": str(uuid.uuid4()), "item_id": built.objective_id}, "plan_id"),
        ]
        for body, field in refusals:
            refused = await client.post(f"{url}/link", json=body, headers={"If-Match": '"2"'})
            assert refused.status_code == 422, body
            assert refused.json()["errors"][0]["loc"] == ["body", field]
        both = {"appraisal_id": built.appraisal_id, "insecurity": 0, "plan_id": built.plan_id}
        mixed = await client.post(f"{url}/link", json=both, headers={"If-Match": '"2"'})
        assert mixed.status_code == 422
        unchanged = await client.get(url)
        assert (unchanged.json()["status"], unchanged.headers["etag"]) == ("acknowledged", '"2"')

        linked = await client.post(
            f"{url}/link",
            json={"appraisal_id": built.appraisal_id, "insecurity": 0},
            headers={"If-Match": '"2"'},
        )
        assert linked.status_code == 200, linked.text
        assert (linked.json()["status"], linked.json()["linked_insecurity"]) == ("linked", 0)
        assert linked.json()["note"] == "Seen in March."
        relinked = await client.post(
            f"{url}/link",
            json={"plan_id": built.plan_id, "item_id": built.actions["Walking groups"]},
            headers={"If-Match": '"3"'},
        )
        assert relinked.status_code == 409

        # A new signal goes straight to a plan action.
        to_action = await client.post(
            f"{SIGNALS}/{ntuzuma['id']}/link",
            json={"plan_id": built.plan_id, "item_id": built.actions["Walking groups"]},
            headers={"If-Match": '"1"'},
        )
        assert to_action.status_code == 200, to_action.text
        assert to_action.json()["linked_item_id"] == built.actions["Walking groups"]
        assert to_action.json()["acknowledged_by"] == "member"

    async with appraisals.client(ANALYST) as client:  # reads, but does not act for the group
        response = await client.post(
            f"{SIGNALS}/{ntuzuma['id']}/acknowledge", json={}, headers={"If-Match": '"2"'}
        )
        assert response.status_code == 403
    async with appraisals.client(ELSEWHERE) as client:
        response = await client.get(f"{SIGNALS}/{inanda['id']}")
        assert response.status_code == 403


async def test_an_alert_on_the_broker_becomes_signals_once(usm_service: ServiceFactory) -> None:
    async with usm_service("appraisals", consumers=True) as appraisals:
        await appraisals.deliver(city_registered("durban"))
        async with appraisals.client(FACILITATOR) as client:
            created = await client.post(
                GROUPS, json={"name": "Central", "districts": ["DBN-CENTRAL"], "mandate": "M"}
            )
            assert created.status_code == 201, created.text
        runtime = appraisals.runtime
        topic = runtime.settings.kafka_topic_prefix + topic_for("indicators")
        example = example_alert()
        for _ in range(2):  # the broker delivers the same event twice
            await runtime.producer.send(
                topic,
                key=b"durban",
                value=example.to_bytes(),
                headers=[("content-type", CONTENT_TYPE.encode())],
            )
        # A later city-wide alert is the marker that both copies were consumed before it.
        marker = alert(district_code=None)
        await runtime.producer.send(
            topic,
            key=b"durban",
            value=marker.to_bytes(),
            headers=[("content-type", CONTENT_TYPE.encode())],
        )

        async def alert_ids() -> list[str] | None:
            async with appraisals.client(MEMBER) as client:
                items = (await client.get(SIGNALS)).json()["items"]
            found = sorted(item["alert_id"] for item in items)
            return found if marker.data["alert_id"] in found else None

        found = await eventually(alert_ids, what="the marker alert as a signal")
        assert found == sorted([example.data["alert_id"], marker.data["alert_id"]])
