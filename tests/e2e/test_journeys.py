"""Journeys through the gateway, against every real process, as a city lives them.

Durban's demo data (`usmdev.seed`) is loaded once: districts, report categories, two years
of indicator values, a Working Group. Each journey then adds only what it is about.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal
from usmdev.seed import seed
from usmdev.servers import serve
from usmdev.stack import Stack
from usmdev.waiting import eventually, retry_while

pytestmark = pytest.mark.e2e

CITY = "durban"
DISTRICT = "DBN-CENTRAL"
# A point inside the demo box of DBN-CENTRAL.
LATITUDE, LONGITUDE = -29.85, 31.05
CATEGORY = "dark-path"
# The SDG 16.1.1 homicide rate is fed by HOMICIDES and POPULATION values.
INDICATOR = "SDG_16_1_1"
PARTNER_NODE = "e2e-partner"
SYNC_SECRET = "a-shared-secret-for-the-e2e-partner-0123456789"
PARTNER_ADMIN = principal(["platform_admin"], ["*"], subject="partner-admin")

Json = dict[str, Any]
# The `bearer` fixture of conftest.py: roles and cities → an Authorization header.
Bearer = Callable[[list[str], list[str]], dict[str, str]]


@pytest.fixture(scope="module")
def demo_city(usm_stack: Stack) -> str:
    """Durban with its demo data, loaded through the gateway (idempotent)."""
    seed(usm_stack.layout.gateway_url)
    return CITY


@pytest.fixture(scope="module")
def working_group(usm_stack: Stack, demo_city: str, bearer: Bearer) -> Json:
    """The Working Group of Central, made before any journey raises an alert (a signal is
    news: only groups active when the alert is raised hear of it)."""
    admin = bearer(["city_admin"], [demo_city])
    with httpx.Client(base_url=usm_stack.layout.gateway_url, timeout=30, headers=admin) as client:
        response = retry_while(
            lambda: client.post(
                f"/api/v1/appraisals/cities/{demo_city}/working-groups",
                json={
                    "name": "Central Safer Routes Group",
                    "districts": [DISTRICT],
                    "mandate": "Appraise personal security in Central and follow the plan.",
                },
                headers={"Idempotency-Key": "e2e-journeys-group"},
            ),
            status=422,  # until appraisals has heard of the city
            timeout_s=60,
            what="appraisals to know durban",
        )
    assert response.status_code == 201, response.text
    group: Json = response.json()
    return group


def ok(response: httpx.Response, status: int = 200) -> Json:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    body: Json = response.json()
    return body


async def track(gateway: httpx.AsyncClient, code: str) -> Json:
    return ok(await gateway.get(f"/api/v1/reports/track/{code}"))


async def report_count(gateway: httpx.AsyncClient, analyst: dict[str, str]) -> Json | None:
    """This journey's cell of indicators' report counts (district, category), if any."""
    page = ok(await gateway.get(f"/api/v1/indicators/cities/{CITY}/report-counts", headers=analyst))
    return next(
        (
            row
            for row in page["items"]
            if (row["district_code"], row["category_code"]) == (DISTRICT, CATEGORY)
        ),
        None,
    )


async def test_a_resident_follows_a_report_from_intake_to_resolution(
    gateway: httpx.AsyncClient, bearer: Bearer, demo_city: str
) -> None:
    moderator = bearer(["city_admin"], [demo_city])
    analyst = bearer(["city_analyst"], [demo_city])
    platform = bearer(["platform_admin"], ["*"])

    # Reports learns the districts from indicators (geography.updated) after the seed.
    async def central_known() -> bool:
        response = await gateway.get(f"/api/v1/reports/cities/{demo_city}/map/districts")
        return DISTRICT in {row["district_code"] for row in ok(response)["districts"]}

    await eventually(central_known, what="reports to know Central's boundary")
    assert await report_count(gateway, analyst) is None

    # A resident reports a dark path, anonymously; a retry with the same key is the same report.
    report = {
        "city": demo_city,
        "category_code": CATEGORY,
        "latitude": LATITUDE,
        "longitude": LONGITUDE,
        "description": "The underpass by the taxi rank has no light at all.",
        "attributes": {"problems": ["no_lighting", "isolated"]},
    }
    key = {"Idempotency-Key": "e2e-journey-native-report"}
    receipt = ok(await gateway.post("/api/v1/reports", json=report, headers=key), 201)
    assert (receipt["status"], receipt["district_code"]) == ("submitted", DISTRICT)
    retried = ok(await gateway.post("/api/v1/reports", json=report, headers=key), 201)
    assert retried["id"] == receipt["id"]
    assert (await track(gateway, receipt["tracking_code"]))["status"] == "submitted"

    # Another resident reports through a city portal speaking Open311, with its API key.
    client = ok(
        await gateway.post(
            "/api/v1/admin/clients", json={"name": "Durban resident portal"}, headers=platform
        ),
        201,
    )
    issued = ok(
        await gateway.post(
            "/api/v1/admin/keys",
            json={"client_id": client["id"], "scopes": ["reports:submit"], "cities": [demo_city]},
            headers=platform,
        ),
        201,
    )
    posted = await gateway.post(
        "/open311/v2/requests.json",
        data={
            "api_key": issued["key"],
            "jurisdiction_id": demo_city,
            "service_code": CATEGORY,
            "lat": str(LATITUDE + 0.001),
            "long": str(LONGITUDE + 0.001),
            "description": "Bushes have grown over the footpath to the clinic.",
        },
    )
    assert posted.status_code == 200, posted.text
    [open311_receipt] = posted.json()
    token, request_id = open311_receipt["token"], open311_receipt["service_request_id"]
    jurisdiction = {"jurisdiction_id": demo_city}
    [by_token] = (await gateway.get(f"/open311/v2/tokens/{token}.json", params=jurisdiction)).json()
    assert by_token["service_request_id"] == request_id
    [open_request] = (
        await gateway.get(f"/open311/v2/requests/{request_id}.json", params=jurisdiction)
    ).json()
    assert (open_request["status"], open_request["service_code"]) == ("open", CATEGORY)
    assert (await track(gateway, token))["status"] == "submitted"

    # Neighbours report the same path: six reports make a cell that may be published (k = 5).
    for _ in range(4):
        ok(await gateway.post("/api/v1/reports", json=report), 201)

    # A moderator of the city takes both reports through the workflow, each step under If-Match.
    steps = ["under_review", "accepted", "in_progress", "resolved"]
    for report_id, code in ((receipt["id"], receipt["tracking_code"]), (request_id, token)):
        current = await gateway.get(f"/api/v1/reports/{report_id}", headers=moderator)
        unconditional = await gateway.post(
            f"/api/v1/reports/{report_id}/status", json={"status": steps[0]}, headers=moderator
        )
        assert unconditional.status_code == 428, unconditional.text
        for step in steps:
            moved = await gateway.post(
                f"/api/v1/reports/{report_id}/status",
                json={"status": step, "public_note": f"Now {step.replace('_', ' ')}."},
                headers={**moderator, "If-Match": current.headers["etag"]},
            )
            assert ok(moved)["status"] == step
            assert (await track(gateway, code))["status"] == step
            current = moved
        updates = (await track(gateway, code))["updates"]
        assert [update["status"] for update in updates][-4:] == steps
        assert updates[-1]["public_note"] == "Now resolved."
    [closed] = (
        await gateway.get(f"/open311/v2/requests/{request_id}.json", params=jurisdiction)
    ).json()
    assert closed["status"] == "closed"  # Open311 names resolved "closed"

    # Indicators counts the six (resolved is not rejected), now above the suppression threshold.
    async def six_counted() -> Json | None:
        row = await report_count(gateway, analyst)
        return row if row is not None and row["count"] == 6 else None

    row = await eventually(six_counted, what="indicators to count the six reports")
    assert row["suppressed"] is False

    # The counts are the district's CITIZEN_REPORTS: with its population known, the public
    # reports-per-10,000 indicator for this month moves, for anyone to see.
    month = datetime.now(UTC).strftime("%Y-%m")
    population = {
        "data_element": "POPULATION",
        "district_code": DISTRICT,
        "period": month[:4],
        "value": 120_000,
        "source": "census",
    }
    ok(
        await gateway.post(
            f"/api/v1/indicators/cities/{demo_city}/values",
            json={"rows": [population]},
            headers=analyst,
        )
    )
    public = ok(
        await gateway.get(
            f"/api/v1/indicators/cities/{demo_city}/indicators/USM_REPORTS_PER_10K/values",
            params={"period": month, "district": DISTRICT},
        )
    )
    # The district's reports of the month: these six, and any other test's in Central.
    assert public["numerator"] >= 6 and public["suppressed"] is False
    assert public["value"] == pytest.approx(public["numerator"] / 120_000 * 10_000)


async def test_indicator_data_over_a_rule_alerts_the_working_group(
    gateway: httpx.AsyncClient, bearer: Bearer, demo_city: str, working_group: Json
) -> None:
    admin = bearer(["city_admin"], [demo_city])
    analyst = bearer(["city_analyst"], [demo_city])
    facilitator = bearer(["wg_facilitator"], [demo_city])
    threshold = 25.0
    rule = ok(
        await gateway.post(
            f"/api/v1/indicators/cities/{demo_city}/alert-rules",
            json={
                "name": "Central quarterly homicide rate above 25 per 100,000",
                "indicator_code": INDICATOR,
                "kind": "threshold",
                "operator": "above",
                "threshold": threshold,
                "district_code": DISTRICT,
                "period_type": "quarter",
                "severity": "critical",
            },
            headers={**admin, "Idempotency-Key": "e2e-journey-alert-rule"},
        ),
        201,
    )

    async def central_rate() -> Json:
        """The public rate of Central in the first quarter of 2026."""
        response = await gateway.get(
            f"/api/v1/indicators/cities/{demo_city}/indicators/{INDICATOR}/values",
            params={"period": "2026-Q1", "district": DISTRICT},
        )
        return ok(response)

    async def central_index() -> Json:
        """Central's public human-security index in the first quarter of 2026."""
        response = await gateway.get(
            f"/api/v1/indicators/cities/{demo_city}/index", params={"period": "2026-Q1"}
        )
        rows: list[Json] = ok(response)["districts"]
        [district] = [row for row in rows if row["district_code"] == DISTRICT]
        return district

    assert (await central_rate())["value"] is None
    index_before = await central_index()

    # The analyst loads the first quarter of 2026: 40 homicides among 120,000 residents.
    rows = [
        {"data_element": "POPULATION", "period": "2026", "value": 120_000},
        {"data_element": "HOMICIDES", "period": "2026-Q1", "value": 40},
    ]
    loaded = ok(
        await gateway.post(
            f"/api/v1/indicators/cities/{demo_city}/values",
            json={"rows": [{**row, "district_code": DISTRICT, "source": "SAPS"} for row in rows]},
            headers={**analyst, "Idempotency-Key": "e2e-journey-values-2026-q1"},
        )
    )
    assert loaded["stored"] == 2
    # Values are computed when read: the rate and Central's index change at once.
    rate = await central_rate()
    assert (rate["numerator"], rate["denominator"], rate["suppressed"]) == (40, 120_000, False)
    assert rate["value"] == pytest.approx(40 / 120_000 * 100_000, abs=0.01)
    index_after = await central_index()
    assert index_after["with_data"] > index_before["with_data"]
    assert index_after["score"] is not None

    async def alert_raised() -> Json | None:
        page = ok(
            await gateway.get(
                f"/api/v1/indicators/cities/{demo_city}/alerts",
                params={"district": DISTRICT, "period": "2026-Q1", "indicator": INDICATOR},
                headers=analyst,
            )
        )
        return next((alert for alert in page["items"] if alert["rule_id"] == rule["id"]), None)

    alert = await eventually(alert_raised, what="the recompute to raise the alert")
    assert (alert["status"], alert["severity"]) == ("open", "critical")
    assert alert["value"] == pytest.approx(rate["value"])

    async def signalled() -> Json | None:
        page = ok(
            await gateway.get(
                f"/api/v1/appraisals/cities/{demo_city}/signals",
                params={"working_group_id": working_group["id"]},
                headers=facilitator,
            )
        )
        return next((item for item in page["items"] if item["alert_id"] == alert["id"]), None)

    signal = await eventually(signalled, what="the alert to reach the Working Group")
    assert signal["status"] == "new"
    assert (signal["indicator_code"], signal["district_code"], signal["period"]) == (
        INDICATOR,
        DISTRICT,
        "2026-Q1",
    )
    assert signal["value"] == alert["value"]


async def transition(
    gateway: httpx.AsyncClient, path: str, to: str, headers: dict[str, str]
) -> Json:
    """One lifecycle step of an appraisal or plan, under If-Match."""
    etag = (await gateway.get(path, headers=headers)).headers["etag"]
    return ok(
        await gateway.post(
            f"{path}/transitions", json={"to": to}, headers={**headers, "If-Match": etag}
        )
    )


async def test_the_group_plans_with_a_target_and_reports_progress(
    gateway: httpx.AsyncClient, bearer: Bearer, demo_city: str, working_group: Json
) -> None:
    facilitator = bearer(["wg_facilitator"], [demo_city])
    base = f"/api/v1/appraisals/cities/{demo_city}"

    # The group appraises Central and finalises the appraisal.
    appraisal = ok(
        await gateway.post(
            f"{base}/appraisals",
            json={
                "working_group_id": working_group["id"],
                "title": "Central appraisal, first quarter 2026",
                "districts": [DISTRICT],
                "period": "2026-Q1",
                "insecurities": [
                    {
                        "dimension": "personal",
                        "description": "Robberies on the unlit underpass after dark.",
                        "affected_groups": ["young women", "shift workers"],
                        "severity": 4,
                        "likelihood": 4,
                        "trend": "worsening",
                        "evidence": {"indicator_codes": [INDICATOR]},
                    }
                ],
                "priorities": [
                    {"rank": 1, "dimension": "personal", "title": "Light the underpass"}
                ],
            },
            headers={**facilitator, "Idempotency-Key": "e2e-journey-appraisal"},
        ),
        201,
    )
    appraisal_path = f"{base}/appraisals/{appraisal['id']}"
    await transition(gateway, appraisal_path, "in_review", facilitator)
    assert (await transition(gateway, appraisal_path, "finalized", facilitator))[
        "status"
    ] == "finalized"

    # It draws a plan: an action on the underpass, tracked by the homicide rate (41 → 30).
    title = "Central Safer Routes Plan 2026"
    plan = ok(
        await gateway.post(
            f"{base}/plans",
            json={
                "title": title,
                "summary": "Light and watch the underpass.",
                "appraisal_ids": [appraisal["id"]],
            },
            headers={**facilitator, "Idempotency-Key": "e2e-journey-plan"},
        ),
        201,
    )
    plan_path = f"{base}/plans/{plan['id']}"
    objective = ok(
        await gateway.post(
            f"{plan_path}/items",
            json={"kind": "objective", "title": "People cross the underpass safely"},
            headers=facilitator,
        ),
        201,
    )
    action = ok(
        await gateway.post(
            f"{plan_path}/items",
            json={
                "kind": "action",
                "parent_id": objective["id"],
                "title": "Light the underpass and clear its bushes",
                "lead_actor": "eThekwini Electricity",
                "districts": [DISTRICT],
                "start_date": "2026-03-01",
                "end_date": "2026-09-30",
                "indicators": [{"code": INDICATOR, "baseline": 41.0, "target": 30.0}],
            },
            headers=facilitator,
        ),
        201,
    )
    await transition(gateway, plan_path, "approved", facilitator)
    assert (await transition(gateway, plan_path, "active", facilitator))["status"] == "active"

    # The lead reports progress; the plan rolls it up.
    ok(
        await gateway.post(
            f"{plan_path}/items/{action['id']}/progress",
            json={"reported_on": "2026-05-31", "narrative": "30 of 75 lights up.", "percent": 40},
            headers=facilitator,
        ),
        201,
    )
    rolled = ok(await gateway.get(f"{plan_path}/progress", headers=facilitator))
    assert rolled["progress"] == 40

    # Indicators tracks the target publicly, against the latest public value.
    async def target_kept() -> Json | None:
        page = ok(
            await gateway.get(
                f"/api/v1/indicators/cities/{demo_city}/targets", params={"plan_id": plan["id"]}
            )
        )
        return next(iter(page["items"]), None)

    target = await eventually(target_kept, what="indicators to keep the plan's target")
    assert (target["indicator_code"], target["district_code"], target["action_id"]) == (
        INDICATOR,
        DISTRICT,
        action["id"],
    )
    assert (target["baseline"], target["target"], target["plan_title"]) == (41.0, 30.0, title)
    assert target["current"] is not None
    expected = 100 * (target["current"]["value"] - 41.0) / (30.0 - 41.0)
    assert target["progress"] == pytest.approx(expected, abs=0.1)

    # Network shares the plan's structured summary with other cities.
    async def summarised() -> Json | None:
        page = ok(
            await gateway.get(
                "/api/v1/network/knowledge", params={"kind": "plan_summary", "city": demo_city}
            )
        )
        return next((item for item in page["items"] if item["title"] == title), None)

    summary = await eventually(summarised, what="the plan summary to reach network")
    item = ok(await gateway.get(f"/api/v1/network/knowledge/{summary['id']}"))
    assert f"`{INDICATOR}` ({DISTRICT}): 41 → 30" in item["body"]
    assert "30 of 75 lights up" not in item["body"]  # narratives stay in appraisals


@asynccontextmanager
async def partner_network(
    usm_service: ServiceFactory,
) -> AsyncIterator[tuple[ServiceHarness, str]]:
    """A partner deployment's network service: its own database on the stack's PostgreSQL,
    served on a real port (its harness, its URL)."""
    async with (
        usm_service("network", node_id=PARTNER_NODE, sync_backoff_s=0.01) as harness,
        serve(harness.app) as url,
    ):
        yield harness, url


async def test_a_published_lesson_reaches_a_partner_deployment(
    gateway: httpx.AsyncClient,
    bearer: Bearer,
    demo_city: str,
    usm_stack: Stack,
    usm_service: ServiceFactory,
) -> None:
    facilitator = bearer(["wg_facilitator"], [demo_city])
    platform = bearer(["platform_admin"], ["*"])
    title = "Residents' night walks found the darkest underpasses"
    lesson = await gateway.post(
        "/api/v1/appraisals/lessons",
        json={
            "city": demo_city,
            "title": title,
            "summary": "Walking the routes with residents at night showed where to light first.",
            "language": "en",
        },
        headers={**facilitator, "Idempotency-Key": "e2e-journey-lesson"},
    )
    assert lesson.status_code == 201, lesson.text
    published = await gateway.post(
        f"/api/v1/appraisals/lessons/{lesson.json()['id']}/publish",
        headers={**facilitator, "If-Match": lesson.headers["etag"]},
    )
    assert ok(published)["status"] == "published"

    async def shared() -> Json | None:
        page = ok(await gateway.get("/api/v1/network/knowledge", params={"kind": "lesson"}))
        return next((item for item in page["items"] if item["title"] == title), None)

    item = await eventually(shared, what="the lesson to reach network")

    async with partner_network(usm_service) as (partner, partner_url):
        # Each side knows the other by node id and a shared secret (HMAC-signed requests).
        ok(
            await gateway.post(
                "/api/v1/network/peers",
                json={"node_id": PARTNER_NODE, "base_url": partner_url, "secret": SYNC_SECRET},
                headers=platform,
            ),
            201,
        )
        # The partner reaches this deployment only through its gateway, as a `partner_node`
        # API client: the key is issued here and handed to the partner's operators.
        client = ok(
            await gateway.post(
                "/api/v1/admin/clients",
                json={"name": PARTNER_NODE, "description": "Partner deployment's sync"},
                headers=platform,
            ),
            201,
        )
        key = ok(
            await gateway.post(
                "/api/v1/admin/keys",
                json={"client_id": client["id"], "scopes": ["network:sync"], "cities": ["*"]},
                headers=platform,
            ),
            201,
        )["key"]
        local = usm_stack.layout.gateway_url
        async with partner.client(PARTNER_ADMIN) as admin:
            registered = await admin.post(
                "/api/v1/network/peers",
                json={"node_id": "local", "base_url": local, "secret": SYNC_SECRET},
            )
            assert registered.status_code == 201, registered.text
            # Signed but anonymous at the gateway: refused, recorded, nothing applied.
            refused = ok(await admin.post("/api/v1/network/peers/local/sync"))
            assert (refused["status"], refused["error"]) == ("failed", "local answered 403")
            assert (refused["received"], refused["applied"]) == (0, 0)
            with_key = ok(
                await admin.patch(
                    "/api/v1/network/peers/local",
                    json={"api_key": key},
                    headers={"If-Match": registered.headers["etag"]},
                )
            )
            assert with_key["has_api_key"] is True and key not in str(with_key)
            run = ok(await admin.post("/api/v1/network/peers/local/sync"))
        assert (run["status"], run["error"]) == ("ok", None)
        async with partner.client() as anonymous:
            page = ok(await anonymous.get("/api/v1/network/knowledge", params={"kind": "lesson"}))
        copies = [copy for copy in page["items"] if copy["id"] == item["id"]]
        assert [(copy["title"], copy["origin_node"]) for copy in copies] == [(title, "local")]
