import csv
import io
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from pypdf import PdfReader

from usmdev.pytest_plugin import ServiceHarness, principal

PLANS = "/api/v1/appraisals/cities/durban/plans"
GROUPS = "/api/v1/appraisals/cities/durban/working-groups"
FACILITATOR = principal(["wg_facilitator"], ["durban"], subject="facilitator-subject")
MEMBER = principal(["wg_member"], ["durban"], subject="member-subject")
ELSEWHERE = principal(["city_admin"], ["cape-town"], subject="elsewhere")
INJECTED = '<script>alert("x")</script> & friends'
ACCENTED = "Luz en la vía — fase 2, Őrség"
MEMBER_DATA = ("Nomvula Dlamini", "nomvula@example.org", "+27 82 555 0100")
NARRATIVE = "Spoke to Nomvula at home about the poles."


async def exportable_plan(
    client: httpx.AsyncClient, plan_builder: Callable[..., Awaitable[Any]]
) -> Any:
    """The shared plan, plus an action with markup and one with non-Latin-1 text, a member
    with personal data in the group and a progress report with a narrative: none of which
    may leak into an export."""
    built = await plan_builder(client, to="draft")
    for title, fields in (
        (INJECTED, {"description": "<b>bold</b>", "lead_actor": "=HYPERLINK(1)"}),
        (ACCENTED, {"partners": ["Comité de vecinos"]}),
    ):
        response = await client.post(
            f"{PLANS}/{built.plan_id}/items",
            json={"kind": "action", "parent_id": built.objective_id, "title": title, **fields},
        )
        assert response.status_code == 201, response.text
    member = await client.post(
        f"{GROUPS}/{built.group_id}/members",
        json={
            "name": MEMBER_DATA[0],
            "sector": "resident",
            "gender": "woman",
            "consent": {
                "given_at": "2026-01-10T09:00:00Z",
                "scope": ["participation_statistics", "contact"],
            },
            "contact": {"email": MEMBER_DATA[1], "phone": MEMBER_DATA[2]},
        },
    )
    assert member.status_code == 201, member.text
    for to in ("approved", "active"):
        etag = (await client.get(f"{PLANS}/{built.plan_id}")).headers["etag"]
        moved = await client.post(
            f"{PLANS}/{built.plan_id}/transitions", json={"to": to}, headers={"If-Match": etag}
        )
        assert moved.status_code == 200, moved.text
    reported = await client.post(
        f"{PLANS}/{built.plan_id}/items/{built.actions['Light the footpaths']}/progress",
        json={
            "reported_on": "2026-03-31",
            "narrative": NARRATIVE,
            "percent": 40,
            "evidence_url": "https://durban.example.org/private/evidence.pdf",
        },
    )
    assert reported.status_code == 201, reported.text
    return built


def assert_no_member_data(text: str) -> None:
    for secret in (*MEMBER_DATA, NARRATIVE, "evidence.pdf", "facilitator-subject"):
        assert secret not in text


async def test_plan_exports(
    appraisals: ServiceHarness, plan_builder: Callable[..., Awaitable[Any]]
) -> None:
    async with appraisals.client(FACILITATOR) as client:
        built = await exportable_plan(client, plan_builder)
    url = f"{PLANS}/{built.plan_id}"
    async with appraisals.client(MEMBER) as client:
        page = await client.get(f"{url}/export.html")
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        body = page.text
        assert "Light the footpaths" in body and "Walking groups" in body
        assert "<script>" not in body and "<b>bold</b>" not in body
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; friends" in body
        assert ACCENTED in body  # HTML keeps every character
        assert "Action:" in body and "Status" in body
        assert_no_member_data(body)
        spanish = (await client.get(f"{url}/export.html", params={"lang": "es"})).text
        assert "Acción:" in spanish and "Plan de Seguridad Humana" in spanish
        assert "en curso" in spanish  # the lighting action's status, translated
        assert (await client.get(f"{url}/export.html", params={"lang": "fr"})).status_code == 422

        sheet = await client.get(f"{url}/export.csv")
        assert sheet.status_code == 200, sheet.text
        assert sheet.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in sheet.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(sheet.text)))
        assert [row["title"] for row in rows] == [
            "Safer routes",
            "Light the footpaths",
            "Walking groups",
            INJECTED,
            ACCENTED,
        ]
        objective, lighting = rows[0], rows[1]
        assert (objective["kind"], objective["parent_id"], objective["level"]) == (
            "objective",
            "",
            "0",
        )
        assert {row["parent_id"] for row in rows[1:]} == {built.objective_id}
        assert {row["parent_title"] for row in rows[1:]} == {"Safer routes"}
        assert (lighting["budget"], lighting["currency"], lighting["progress"]) == (
            "30000.00",
            "ZAR",
            "40",
        )
        assert lighting["indicators"] == "SDG_16_1_1: 41 → 30"
        assert (lighting["start_date"], lighting["status"]) == ("2026-02-01", "in_progress")
        # (40 x 30000 + 0 x 10000) / 40000 would be budget-weighted; two actions have no
        # budget, so the objective takes equal weights: 40 / 4.
        assert objective["progress"] == "10"
        assert rows[3]["lead_actor"] == "'=HYPERLINK(1)"  # never a live formula
        assert_no_member_data(sheet.text)

        whole = await client.get(f"{url}/export.json")
        assert whole.status_code == 200, whole.text
        assert whole.json()["plan"]["id"] == built.plan_id
        assert [item["title"] for item in whole.json()["items"]] == [row["title"] for row in rows]
        assert whole.json()["progress"]["progress"] == 10.0
        assert_no_member_data(whole.text)

        document = await client.get(f"{url}/export.pdf")
        assert document.status_code == 200, document.text
        assert document.headers["content-type"] == "application/pdf"
        assert document.content.startswith(b"%PDF")
        reader = PdfReader(io.BytesIO(document.content))
        text = " ".join(page.extract_text() for page in reader.pages)
        for title in ("Inanda plan", "Safer routes", "Light the footpaths", "Walking groups"):
            assert title in text
        assert '<script>alert("x")</script> & friends' in text  # as text, not markup
        assert "Luz en la vía - fase 2, Orség" in text  # Latin-1 kept, the rest simplified
        assert "SDG_16_1_1: 41 -> 30" in text
        assert_no_member_data(text)
        spanish_pdf = await client.get(f"{url}/export.pdf", params={"lang": "es"})
        spanish_text = " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(spanish_pdf.content)).pages
        )
        assert "Objetivo: Safer routes" in spanish_text

    for who, status in ((ELSEWHERE, 403), (None, 403)):
        async with appraisals.client(who) as client:
            for extension in ("html", "csv", "pdf", "json"):
                response = await client.get(f"{url}/export.{extension}")
                assert response.status_code in (401, status), extension
                assert response.headers["content-type"] == "application/problem+json"
    async with appraisals.client(MEMBER) as client:
        missing = await client.get(f"{PLANS}/00000000-0000-4000-8000-000000000000/export.pdf")
        assert missing.status_code == 404
