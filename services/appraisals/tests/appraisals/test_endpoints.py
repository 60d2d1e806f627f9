import json
from typing import Any

import httpx

from usmdev.pytest_plugin import ServiceHarness, principal

GROUPS = "/api/v1/appraisals/cities/durban/working-groups"
APPRAISALS = "/api/v1/appraisals/cities/durban/appraisals"
FACILITATOR = principal(["wg_facilitator"], ["durban"], subject="facilitator")
MEMBER = principal(["wg_member"], ["durban"], subject="member")
ANALYST = principal(["city_analyst"], ["durban"], subject="analyst")
ELSEWHERE = principal(["wg_facilitator"], ["cape-town"], subject="elsewhere")
INSECURITY = {
    "dimension": "personal",
    "description": "Robberies on the walk to the taxi rank after dark.",
    "affected_groups": ["young women", "school children"],
    "severity": 4,
    "likelihood": 5,
    "trend": "worsening",
    "evidence": {"indicator_codes": ["SDG_16_1_1", "SDG_16_1_4"]},
}
PRIORITIES = [
    {"rank": 2, "dimension": "personal", "title": "Safe taxi rank at night", "votes": 17},
    {"rank": 1, "dimension": "personal", "title": "Light the footpaths", "votes": 23},
    {"rank": 3, "dimension": "economic", "title": "Youth apprenticeships", "score": 7.5},
]


async def create_group(client: httpx.AsyncClient) -> str:
    response = await client.post(
        GROUPS,
        json={
            "name": "Inanda group",
            "districts": ["DBN-INANDA", "DBN-NTUZUMA"],
            "mandate": "Appraise Inanda.",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def appraisal_body(group_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "working_group_id": group_id,
        "title": "Inanda appraisal 2026",
        "districts": ["DBN-INANDA"],
        "period": "2026-Q1",
        "insecurities": [INSECURITY],
        "root_causes": [{"description": "Unlit footpaths.", "dimensions": ["personal"]}],
        "capacities": [
            {"kind": "protection", "actor": "SAPS Inanda", "strength": 2},
            {"kind": "empowerment", "actor": "Street committee", "strength": 4},
        ],
        "priorities": PRIORITIES,
        **fields,
    }


async def move(
    client: httpx.AsyncClient, appraisal_id: str, to: str, etag: str | None
) -> httpx.Response:
    headers = {"If-Match": etag} if etag else {}
    return await client.post(
        f"{APPRAISALS}/{appraisal_id}/transitions", json={"to": to}, headers=headers
    )


async def finalize(client: httpx.AsyncClient, appraisal_id: str) -> dict[str, Any]:
    etag = (await client.get(f"{APPRAISALS}/{appraisal_id}")).headers["etag"]
    reviewed = await move(client, appraisal_id, "in_review", etag)
    assert reviewed.status_code == 200, reviewed.text
    final = await move(client, appraisal_id, "finalized", reviewed.headers["etag"])
    assert final.status_code == 200, final.text
    return dict(final.json())


async def outbox_envelopes(appraisals: ServiceHarness) -> list[dict[str, Any]]:
    outbox = appraisals.runtime.tables.outbox
    async with appraisals.runtime.database.sessions() as session:
        rows = (await session.execute(outbox.select().order_by(outbox.c.id))).all()
    return [dict(row.envelope) for row in rows]


async def test_lifecycle_finalizes_once_and_emits_priorities_per_dimension(
    appraisals: ServiceHarness,
) -> None:
    async with appraisals.client(FACILITATOR) as client:
        group_id = await create_group(client)
        # A member with contact and personal data: none of it may leave in the event.
        member = await client.post(
            f"{GROUPS}/{group_id}/members",
            json={
                "name": "Thandi Mkhize",
                "sector": "resident",
                "gender": "woman",
                "age_band": "18_24",
                "consent": {
                    "given_at": "2026-01-10T09:00:00Z",
                    "scope": ["participation_statistics", "contact"],
                },
                "contact": {"email": "thandi@example.org", "phone": "+27 31 555 0101"},
            },
        )
        assert member.status_code == 201
    async with appraisals.client(MEMBER) as client:
        # Members draft and edit; facilitators move the lifecycle.
        created = await client.post(
            APPRAISALS,
            json=appraisal_body(group_id, priorities=[]),
            headers={"Idempotency-Key": "appraisal-create-0001"},
        )
        assert created.status_code == 201, created.text
        appraisal = created.json()
        assert appraisal["status"] == "draft"
        assert appraisal["sequence"] == 1
        assert appraisal["series_id"] == appraisal["id"]
        assert created.headers["etag"] == '"1"'
        url = f"{APPRAISALS}/{appraisal['id']}"
        assert created.headers["location"] == url

        edited = await client.patch(
            url, json={"priorities": PRIORITIES}, headers={"If-Match": '"1"'}
        )
        assert edited.status_code == 200, edited.text
        assert edited.headers["etag"] == '"2"'
        assert len(edited.json()["priorities"]) == 3
        assert (await move(client, appraisal["id"], "in_review", '"2"')).status_code == 403

    async with appraisals.client(FACILITATOR) as client:
        reviewed = await move(client, appraisal["id"], "in_review", '"2"')
        assert reviewed.status_code == 200, reviewed.text
        assert reviewed.json()["status"] == "in_review"
        in_review_edit = await client.patch(
            url, json={"title": "New"}, headers={"If-Match": reviewed.headers["etag"]}
        )
        assert in_review_edit.status_code == 409
        assert "back to draft" in in_review_edit.json()["detail"]

        final = await move(client, appraisal["id"], "finalized", reviewed.headers["etag"])
        assert final.status_code == 200, final.text
        assert final.json()["status"] == "finalized"
        assert final.json()["finalized_at"] is not None

        # Finalized is immutable: edits and further moves are refused with the reason.
        for change in ({"title": "Changed"}, {"priorities": []}):
            refused = await client.patch(
                url, json=change, headers={"If-Match": final.headers["etag"]}
            )
            assert refused.status_code == 409
            assert refused.headers["content-type"] == "application/problem+json"
            assert "immutable" in refused.json()["detail"]
        back = await move(client, appraisal["id"], "draft", final.headers["etag"])
        assert back.status_code == 409
        assert "correction" in back.json()["detail"]
        assert (await client.get(url)).json() == final.json()

        trail = (await client.get(f"{url}/transitions")).json()["items"]
        assert [(item["from_status"], item["to_status"]) for item in trail] == [
            ("draft", "in_review"),
            ("in_review", "finalized"),
        ]
        assert trail[1]["actor"] == "facilitator"

    envelopes = await outbox_envelopes(appraisals)
    assert [envelope["type"] for envelope in envelopes] == [
        "org.usm.appraisals.appraisal.finalized.v1"
    ]
    event = envelopes[0]
    assert event["subject"] == appraisal["id"]
    assert event["city"] == "durban"
    assert event["data"]["priorities_by_dimension"] == {
        "economic": [{"rank": 3, "title": "Youth apprenticeships", "score": 7.5}],
        "personal": [
            {"rank": 1, "title": "Light the footpaths", "votes": 23},
            {"rank": 2, "title": "Safe taxi rank at night", "votes": 17},
        ],
    }
    assert event["data"]["corrects_id"] is None
    assert event["data"]["districts"] == ["DBN-INANDA"]
    text = json.dumps(event)
    for private in ("Thandi", "thandi@example.org", "555 0101", "Robberies", "young women"):
        assert private not in text
    appraisals.runtime.registry.parse(json.dumps(event).encode())


async def test_forbidden_transitions_and_preconditions(appraisals: ServiceHarness) -> None:
    async with appraisals.client(FACILITATOR) as client:
        group_id = await create_group(client)
        appraisal = (
            await client.post(APPRAISALS, json=appraisal_body(group_id, priorities=[]))
        ).json()
        appraisal_id = appraisal["id"]

        direct = await move(client, appraisal_id, "finalized", '"1"')
        assert direct.status_code == 409
        assert direct.json()["detail"] == (
            "A draft cannot be finalized directly; move it to in_review first."
        )
        same = await move(client, appraisal_id, "draft", '"1"')
        assert same.status_code == 409
        assert "already draft" in same.json()["detail"]
        assert (await move(client, appraisal_id, "in_review", None)).status_code == 428
        stale = await move(client, appraisal_id, "in_review", '"5"')
        assert stale.status_code == 412
        assert stale.headers["etag"] == '"1"'
        unknown = await client.post(
            f"{APPRAISALS}/{appraisal_id}/transitions",
            json={"to": "published"},
            headers={"If-Match": '"1"'},
        )
        assert unknown.status_code == 422

        reviewed = await move(client, appraisal_id, "in_review", '"1"')
        assert reviewed.status_code == 200
        empty = await move(client, appraisal_id, "finalized", reviewed.headers["etag"])
        assert empty.status_code == 409
        assert "priority" in empty.json()["detail"]
        returned = await move(client, appraisal_id, "draft", reviewed.headers["etag"])
        assert returned.status_code == 200
        assert returned.json()["status"] == "draft"

        assert (await outbox_envelopes(appraisals)) == []


async def test_corrections_are_new_versions_with_a_history(appraisals: ServiceHarness) -> None:
    async with appraisals.client(FACILITATOR) as client:
        group_id = await create_group(client)
        original = (await client.post(APPRAISALS, json=appraisal_body(group_id))).json()
        not_yet = await client.post(
            f"{APPRAISALS}/{original['id']}/corrections", json={"reason": "Too early"}
        )
        assert not_yet.status_code == 409
        assert "can still be edited" in not_yet.json()["detail"]
        await finalize(client, original["id"])

    async with appraisals.client(MEMBER) as client:
        refused = await client.post(
            f"{APPRAISALS}/{original['id']}/corrections", json={"reason": "Miscount"}
        )
        assert refused.status_code == 403

    async with appraisals.client(FACILITATOR) as client:
        corrected = await client.post(
            f"{APPRAISALS}/{original['id']}/corrections",
            json={"reason": "Votes for priority 2 were miscounted."},
        )
        assert corrected.status_code == 201, corrected.text
        correction = corrected.json()
        assert correction["status"] == "draft"
        assert correction["sequence"] == 2
        assert correction["series_id"] == original["id"]
        assert correction["corrects_id"] == original["id"]
        assert correction["correction_reason"] == "Votes for priority 2 were miscounted."
        assert correction["priorities"] == original["priorities"]
        assert correction["insecurities"] == original["insecurities"]

        # Only the latest version of a series is corrected.
        again = await client.post(
            f"{APPRAISALS}/{original['id']}/corrections", json={"reason": "Twice"}
        )
        assert again.status_code == 409
        assert "latest" in again.json()["detail"]

        fixed = [{**PRIORITIES[0], "votes": 19}, *PRIORITIES[1:]]
        edited = await client.patch(
            f"{APPRAISALS}/{correction['id']}",
            json={"priorities": fixed},
            headers={"If-Match": corrected.headers["etag"]},
        )
        assert edited.status_code == 200, edited.text
        await finalize(client, correction["id"])

        # The original is untouched.
        unchanged = (await client.get(f"{APPRAISALS}/{original['id']}")).json()
        assert unchanged["status"] == "finalized"
        assert unchanged["priorities"] == original["priorities"]

        for appraisal_id in (original["id"], correction["id"]):
            history = (await client.get(f"{APPRAISALS}/{appraisal_id}/history")).json()
            assert [
                (item["sequence"], item["status"], item["corrects_id"]) for item in history["items"]
            ] == [
                (1, "finalized", None),
                (2, "finalized", original["id"]),
            ]
        paged = (
            await client.get(f"{APPRAISALS}/{original['id']}/history", params={"limit": 1})
        ).json()
        assert [item["sequence"] for item in paged["items"]] == [1]
        rest = (
            await client.get(
                f"{APPRAISALS}/{original['id']}/history", params={"cursor": paged["next_cursor"]}
            )
        ).json()
        assert [item["sequence"] for item in rest["items"]] == [2]

    events = [envelope["data"] for envelope in await outbox_envelopes(appraisals)]
    assert [(data["sequence"], data["corrects_id"]) for data in events] == [
        (1, None),
        (2, original["id"]),
    ]
    assert events[1]["priorities_by_dimension"]["personal"][1]["votes"] == 19


async def test_bad_input_gets_a_clear_4xx_and_stores_nothing(appraisals: ServiceHarness) -> None:
    async with appraisals.client(FACILITATOR) as client:
        group_id = await create_group(client)
        outside = await client.post(
            APPRAISALS, json=appraisal_body(group_id, districts=["DBN-INANDA", "DBN-UMLAZI"])
        )
        assert outside.status_code == 422
        assert outside.json()["errors"][0]["loc"] == ["body", "districts", 1]
        assert "area" in outside.json()["errors"][0]["msg"]

        invalid = await client.post(
            APPRAISALS,
            json=appraisal_body(
                group_id,
                insecurities=[{**INSECURITY, "severity": 6, "trend": "bad"}],
                capacities=[{"kind": "charity", "actor": "X", "strength": 0}],
            ),
        )
        assert invalid.status_code == 422
        locs = {tuple(error["loc"]) for error in invalid.json()["errors"]}
        assert locs == {
            ("body", "insecurities", 0, "severity"),
            ("body", "insecurities", 0, "trend"),
            ("body", "capacities", 0, "kind"),
            ("body", "capacities", 0, "strength"),
        }
        tied = await client.post(
            APPRAISALS,
            json=appraisal_body(group_id, priorities=[PRIORITIES[0], {**PRIORITIES[1], "rank": 2}]),
        )
        assert tied.status_code == 422
        assert "rank" in str(tied.json()["errors"])
        bad_period = await client.post(APPRAISALS, json=appraisal_body(group_id, period="2026-13"))
        assert bad_period.status_code == 422
        assert bad_period.json()["errors"][0]["loc"] == ["body", "period"]
        no_group = await client.post(
            APPRAISALS, json=appraisal_body("0193a3c4-0000-7000-8000-0000000000ff")
        )
        assert no_group.status_code == 422
        assert no_group.json()["errors"][0]["loc"] == ["body", "working_group_id"]

        listed = (await client.get(APPRAISALS)).json()
        assert listed["items"] == []

        etag = (await client.get(f"{GROUPS}/{group_id}")).headers["etag"]
        await client.patch(
            f"{GROUPS}/{group_id}", json={"status": "inactive"}, headers={"If-Match": etag}
        )
        inactive = await client.post(APPRAISALS, json=appraisal_body(group_id))
        assert inactive.status_code == 409


async def test_role_and_city_rules(appraisals: ServiceHarness) -> None:
    async with appraisals.client(FACILITATOR) as client:
        group_id = await create_group(client)
        appraisal = (await client.post(APPRAISALS, json=appraisal_body(group_id))).json()
    url = f"{APPRAISALS}/{appraisal['id']}"
    async with appraisals.client(ANALYST) as client:
        assert (await client.get(url)).status_code == 200
        listed = (await client.get(APPRAISALS, params={"working_group_id": group_id})).json()
        assert [item["id"] for item in listed["items"]] == [appraisal["id"]]
        assert (await client.post(APPRAISALS, json=appraisal_body(group_id))).status_code == 403
    async with appraisals.client(ELSEWHERE) as client:
        assert (await client.get(url)).status_code == 403
        assert (await client.get(APPRAISALS)).status_code == 403
        other = "/api/v1/appraisals/cities/cape-town/appraisals"
        assert (await client.get(f"{other}/{appraisal['id']}")).status_code == 404
        # Another city's group cannot be appraised from here.
        foreign = await client.post(other, json=appraisal_body(group_id))
        assert foreign.status_code == 422
    async with appraisals.client() as anonymous:
        assert (await anonymous.get(url)).status_code == 403
