"""Who may do what: members, facilitators, city staff and other cities, across the domains."""

from collections.abc import Awaitable, Callable
from typing import Any

from usmdev.pytest_plugin import ServiceHarness, principal

DURBAN = "/api/v1/appraisals/cities/durban"
ANALYST = principal(["city_analyst"], ["durban"], subject="analyst")
ADMIN = principal(["city_admin"], ["durban"], subject="admin")
MEMBER = principal(["wg_member"], ["durban"], subject="member")
OTHER_ADMIN = principal(["city_admin"], ["cape-town"], subject="other-admin")


async def test_city_staff_read_admins_manage_other_cities_do_neither(
    appraisals: ServiceHarness, plan_builder: Callable[..., Awaitable[Any]]
) -> None:
    async with appraisals.client(ADMIN) as client:  # a city admin runs the whole flow
        built = await plan_builder(client, to="active")
    plan = f"{DURBAN}/plans/{built.plan_id}"
    action = built.actions["Walking groups"]
    reads = [
        f"{DURBAN}/working-groups/{built.group_id}",
        f"{DURBAN}/working-groups/{built.group_id}/members",
        f"{DURBAN}/appraisals/{built.appraisal_id}",
        plan,
        f"{plan}/progress",
        f"{plan}/versions",
        f"{plan}/export.csv",
        f"{DURBAN}/signals",
        f"{DURBAN}/appraisal-templates",
    ]
    report = {"reported_on": "2026-03-31", "narrative": "n", "percent": 10}
    async with appraisals.client(ANALYST) as client:
        for path in reads:
            assert (await client.get(path)).status_code == 200, path
        # City analysts read; they do not act for Working Groups.
        refused = [
            await client.post(f"{plan}/items/{action}/progress", json=report),
            await client.post(f"{plan}/revisions", json={"change_note": "x"}),
            await client.post(
                f"{DURBAN}/working-groups", json={"name": "G", "districts": [], "mandate": "M"}
            ),
        ]
        assert [response.status_code for response in refused] == [403, 403, 403]
    async with appraisals.client(MEMBER) as client:
        assert (
            await client.post(f"{plan}/items/{action}/progress", json=report)
        ).status_code == 201
        assert (
            await client.post(f"{plan}/revisions", json={"change_note": "x"})
        ).status_code == 403
    async with appraisals.client(OTHER_ADMIN) as client:
        for path in reads:
            assert (await client.get(path)).status_code == 403, path
        assert (
            await client.post(f"{plan}/items/{action}/progress", json=report)
        ).status_code == 403
