from typing import Any

from sqlalchemy import func, select

from usm_appraisals.models import AppraisalTemplate
from usmdev.pytest_plugin import ServiceHarness, principal

TEMPLATES = "/api/v1/appraisals/cities/durban/appraisal-templates"
APPRAISALS = "/api/v1/appraisals/cities/durban/appraisals"
GROUPS = "/api/v1/appraisals/cities/durban/working-groups"
FACILITATOR = principal(["wg_facilitator"], ["durban"], subject="facilitator")
MEMBER = principal(["wg_member"], ["durban"], subject="member")
ELSEWHERE = principal(["city_admin"], ["cape-town"], subject="elsewhere")
LEVELS = ["very low", "low", "medium", "high", "very high"]
TEMPLATE: dict[str, Any] = {
    "name": "Standard",
    "language": "en",
    "sections": [
        {"dimension": "personal", "title": "Personal", "prompts": ["Where is it unsafe?"]},
        {"dimension": "economic", "title": "Economic", "prompts": ["Who lacks income?"]},
    ],
    "default_affected_groups": ["women", "youth"],
    "scales": {"severity": LEVELS, "likelihood": LEVELS},
}
INSECURITY = {
    "dimension": "personal",
    "description": "Robberies after dark.",
    "severity": 4,
    "likelihood": 4,
    "trend": "stable",
}


async def template_count(appraisals: ServiceHarness) -> int:
    async with appraisals.runtime.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(AppraisalTemplate)) or 0)


async def test_template_crud_and_validation(appraisals: ServiceHarness) -> None:
    async with appraisals.client(FACILITATOR) as client:
        bad_bodies = [
            {**TEMPLATE, "sections": []},
            {**TEMPLATE, "scales": {"severity": LEVELS[:4]}},
            {**TEMPLATE, "scales": {"impact": LEVELS}},
            {**TEMPLATE, "sections": [{**TEMPLATE["sections"][0], "dimension": "cosmic"}]},
            {**TEMPLATE, "sections": [{**TEMPLATE["sections"][0], "prompts": []}]},
            {**TEMPLATE, "sections": [TEMPLATE["sections"][0], TEMPLATE["sections"][0]]},
            {**TEMPLATE, "language": "english"},
            {**TEMPLATE, "name": " "},
        ]
        for body in bad_bodies:
            refused = await client.post(TEMPLATES, json=body)
            assert refused.status_code == 422, body
            assert refused.headers["content-type"] == "application/problem+json"
        assert await template_count(appraisals) == 0

        created = await client.post(
            TEMPLATES, json=TEMPLATE, headers={"Idempotency-Key": "template-standard-1"}
        )
        assert created.status_code == 201, created.text
        template = created.json()
        assert (template["status"], template["created_by"]) == ("active", "facilitator")
        assert template["scales"]["severity"] == LEVELS
        replay = await client.post(
            TEMPLATES, json=TEMPLATE, headers={"Idempotency-Key": "template-standard-1"}
        )
        assert replay.json()["id"] == template["id"]
        taken = await client.post(TEMPLATES, json=TEMPLATE)
        assert taken.status_code == 409
        assert taken.json()["detail"] == "The city already has a template named 'Standard'."
        url = f"{TEMPLATES}/{template['id']}"

        stale = await client.patch(url, json={"name": "Renamed"}, headers={"If-Match": '"7"'})
        assert stale.status_code == 412
        null_name = await client.patch(url, json={"name": None}, headers={"If-Match": '"1"'})
        assert null_name.status_code == 422
        renamed = await client.patch(
            url,
            json={"name": "Renamed", "description": "Two dimensions."},
            headers={"If-Match": '"1"'},
        )
        assert renamed.status_code == 200, renamed.text
        assert renamed.headers["etag"] == '"2"'
        assert (await client.get(url)).json()["name"] == "Renamed"
        listed = await client.get(TEMPLATES, params={"status": "active"})
        assert [item["id"] for item in listed.json()["items"]] == [template["id"]]

        spare = await client.post(TEMPLATES, json={**TEMPLATE, "name": "Spare"})
        deleted = await client.delete(
            f"{TEMPLATES}/{spare.json()['id']}", headers={"If-Match": '"1"'}
        )
        assert deleted.status_code == 204
        assert (await client.get(f"{TEMPLATES}/{spare.json()['id']}")).status_code == 404

    async with appraisals.client(MEMBER) as client:
        assert (await client.get(url)).status_code == 200
        assert (await client.post(TEMPLATES, json={**TEMPLATE, "name": "M"})).status_code == 403
        patched = await client.patch(url, json={"name": "M"}, headers={"If-Match": '"2"'})
        assert patched.status_code == 403
    async with appraisals.client(ELSEWHERE) as client:
        assert (await client.get(url)).status_code == 403
        assert (await client.get(TEMPLATES)).status_code == 403
        assert (await client.post(TEMPLATES, json=TEMPLATE)).status_code == 403
    async with appraisals.client(principal(["city_admin"], ["cape-town"])) as client:
        # Another city's template is not found from cape-town's paths.
        other = f"/api/v1/appraisals/cities/cape-town/appraisal-templates/{template['id']}"
        assert (await client.get(other)).status_code == 404


async def test_appraisals_made_from_a_template(appraisals: ServiceHarness) -> None:
    async with appraisals.client(FACILITATOR) as client:
        template = (await client.post(TEMPLATES, json=TEMPLATE)).json()
        group = await client.post(
            GROUPS, json={"name": "G", "districts": ["DBN-INANDA"], "mandate": "M"}
        )
        base = {
            "working_group_id": group.json()["id"],
            "title": "Inanda 2026",
            "districts": ["DBN-INANDA"],
            "period": "2026-Q1",
            "template_id": template["id"],
        }
        outside = await client.post(
            APPRAISALS,
            json={**base, "insecurities": [INSECURITY, {**INSECURITY, "dimension": "food"}]},
        )
        assert outside.status_code == 422
        assert [error["loc"] for error in outside.json()["errors"]] == [
            ["body", "insecurities", 1, "dimension"]
        ]
        created = await client.post(
            APPRAISALS,
            json={
                **base,
                "insecurities": [INSECURITY, {**INSECURITY, "affected_groups": ["traders"]}],
            },
        )
        assert created.status_code == 201, created.text
        appraisal = created.json()
        assert appraisal["template_id"] == template["id"]
        assert [item["affected_groups"] for item in appraisal["insecurities"]] == [
            ["women", "youth"],
            ["traders"],
        ]
        # A used template is retired, not deleted; it shapes no new appraisal.
        url = f"{TEMPLATES}/{template['id']}"
        in_use = await client.delete(url, headers={"If-Match": '"1"'})
        assert in_use.status_code == 409
        assert "retire it instead" in in_use.json()["detail"]
        retired = await client.patch(url, json={"status": "retired"}, headers={"If-Match": '"1"'})
        assert retired.status_code == 200
        refused = await client.post(APPRAISALS, json={**base, "insecurities": [INSECURITY]})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["loc"] == ["body", "template_id"]
        # The appraisal made from it keeps following it while a draft.
        edited = await client.patch(
            f"{APPRAISALS}/{appraisal['id']}",
            json={"insecurities": [{**INSECURITY, "dimension": "economic"}]},
            headers={"If-Match": '"1"'},
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["insecurities"][0]["affected_groups"] == ["women", "youth"]
