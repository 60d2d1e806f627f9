from usmdev.pytest_plugin import ServiceHarness, principal

GROUPS = "/api/v1/appraisals/cities/durban/working-groups"
APPRAISALS = "/api/v1/appraisals/cities/durban/appraisals"
FACILITATOR = principal(["wg_facilitator"], ["durban"], subject="facilitator-subject")
ANALYST = principal(["city_analyst"], ["durban"], subject="analyst")
ELSEWHERE = principal(["city_admin"], ["cape-town"], subject="elsewhere")


def insecurity(description: str, severity: int, likelihood: int) -> dict[str, object]:
    return {
        "dimension": "personal",
        "description": description,
        "affected_groups": ["young women"],
        "severity": severity,
        "likelihood": likelihood,
        "trend": "worsening",
        "evidence": {"indicator_codes": ["SDG_16_1_1"]},
    }


async def test_summary_ranks_escapes_and_shows_no_member(appraisals: ServiceHarness) -> None:
    async with appraisals.client(FACILITATOR) as client:
        group = await client.post(
            GROUPS, json={"name": "G", "districts": ["DBN-INANDA"], "mandate": "M"}
        )
        created = await client.post(
            APPRAISALS,
            json={
                "working_group_id": group.json()["id"],
                "title": "Inanda <2026>",
                "districts": ["DBN-INANDA"],
                "period": "2026-Q1",
                "insecurities": [
                    insecurity("Minor: <img src=x onerror=alert(1)>", 2, 2),
                    insecurity("Major: robberies after dark", 5, 4),
                ],
                "capacities": [{"kind": "empowerment", "actor": "Street committee", "strength": 3}],
                "priorities": [
                    {"rank": 2, "dimension": "economic", "title": "Jobs", "votes": 5},
                    {"rank": 1, "dimension": "personal", "title": "Light", "votes": 9},
                ],
            },
        )
        assert created.status_code == 201, created.text
    url = f"{APPRAISALS}/{created.json()['id']}/summary.html"
    async with appraisals.client(ANALYST) as client:
        page = await client.get(url)
        assert page.status_code == 200, page.text
        text = page.text
        assert text.index("Major: robberies") < text.index("Minor:")  # 20 before 4
        assert "&lt;img src=x onerror=alert(1)&gt;" in text and "<img" not in text
        assert "Inanda &lt;2026&gt;" in text
        assert text.index(">Light (Personal)") < text.index(">Jobs (Economic)")
        assert "Empowerment (communities): Street committee" in text
        assert "facilitator-subject" not in text
        spanish = (await client.get(url, params={"lang": "es"})).text
        assert "Diagnóstico Participativo de Seguridad Humana" in spanish
        assert "empeora" in spanish
    async with appraisals.client(ELSEWHERE) as client:
        assert (await client.get(url)).status_code == 403
