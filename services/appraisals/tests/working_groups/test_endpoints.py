from typing import Any

import httpx

from usmdev.pytest_plugin import ServiceHarness, principal

GROUPS = "/api/v1/appraisals/cities/durban/working-groups"
FACILITATOR = principal(["wg_facilitator"], ["durban"], subject="facilitator")
MEMBER = principal(["wg_member"], ["durban"], subject="member")
ANALYST = principal(["city_analyst"], ["durban"], subject="analyst")
CITY_ADMIN = principal(["city_admin"], ["durban"], subject="admin")
ELSEWHERE = principal(["wg_facilitator"], ["cape-town"], subject="elsewhere")
GROUP = {
    "name": "Inanda Safer Neighbourhood Group",
    "districts": ["DBN-INANDA", "DBN-NTUZUMA"],
    "mandate": "Appraise human security in Inanda and follow the plan.",
}
CONSENT_ALL = {
    "given_at": "2026-01-10T09:00:00Z",
    "scope": ["participation_statistics", "contact"],
}
PERSONAL_KEYS = {"gender", "age_band", "disability", "consent", "contact"}


async def create_group(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post(GROUPS, json={**GROUP, **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def add_member(client: httpx.AsyncClient, group_id: str, **fields: Any) -> str:
    body = {"name": "Someone", "sector": "resident", **fields}
    response = await client.post(f"{GROUPS}/{group_id}/members", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_group_lifecycle_and_etag(appraisals: ServiceHarness) -> None:
    async with appraisals.client(FACILITATOR) as client:
        created = await client.post(
            GROUPS, json=GROUP, headers={"Idempotency-Key": "group-create-0001-inanda"}
        )
        assert created.status_code == 201, created.text
        group = created.json()
        assert group["status"] == "active"
        assert created.headers["etag"] == '"1"'
        assert created.headers["location"] == f"{GROUPS}/{group['id']}"
        replay = await client.post(
            GROUPS, json=GROUP, headers={"Idempotency-Key": "group-create-0001-inanda"}
        )
        assert replay.json() == group
        assert replay.headers["idempotent-replayed"] == "true"

        url = f"{GROUPS}/{group['id']}"
        assert (await client.patch(url, json={"status": "inactive"})).status_code == 428
        stale = await client.patch(url, json={"status": "inactive"}, headers={"If-Match": '"9"'})
        assert stale.status_code == 412
        changed = await client.patch(url, json={"status": "inactive"}, headers={"If-Match": '"1"'})
        assert changed.status_code == 200, changed.text
        assert changed.json()["status"] == "inactive"
        assert changed.headers["etag"] == '"2"'

        # An inactive group takes no new members or sessions.
        refused = await client.post(f"{url}/members", json={"name": "A", "sector": "resident"})
        assert refused.status_code == 409
        assert "inactive" in refused.json()["detail"]

        await create_group(client, name="Second")
        listed = (await client.get(GROUPS, params={"limit": 1})).json()
        assert [item["name"] for item in listed["items"]] == ["Second"]
        rest = (await client.get(GROUPS, params={"cursor": listed["next_cursor"]})).json()
        assert [item["id"] for item in rest["items"]] == [group["id"]]
        inactive = (await client.get(GROUPS, params={"status": "inactive"})).json()
        assert [item["id"] for item in inactive["items"]] == [group["id"]]


async def test_bad_input_is_a_field_error_and_stores_nothing(appraisals: ServiceHarness) -> None:
    async with appraisals.client(FACILITATOR) as client:
        invalid = await client.post(
            GROUPS, json={**GROUP, "districts": ["dbn inanda"], "status": "dormant"}
        )
        assert invalid.status_code == 422
        assert invalid.headers["content-type"] == "application/problem+json"
        locs = {tuple(error["loc"]) for error in invalid.json()["errors"]}
        assert locs == {("body", "districts", 0), ("body", "status")}
        twice = await client.post(GROUPS, json={**GROUP, "districts": ["DBN-A", "DBN-A"]})
        assert twice.status_code == 422

        group = await create_group(client)
        members = f"{GROUPS}/{group['id']}/members"
        # Personal attributes without consent for statistics, contact without consent.
        no_consent = await client.post(
            members, json={"name": "A", "sector": "resident", "gender": "woman"}
        )
        assert no_consent.status_code == 422
        assert "participation_statistics" in str(no_consent.json()["errors"])
        contact_only_stats = await client.post(
            members,
            json={
                "name": "A",
                "sector": "resident",
                "consent": {
                    "given_at": "2026-01-10T09:00:00Z",
                    "scope": ["participation_statistics"],
                },
                "contact": {"email": "a@example.org"},
            },
        )
        assert contact_only_stats.status_code == 422
        bad_sector = await client.post(members, json={"name": "A", "sector": "police"})
        assert bad_sector.status_code == 422

        sessions = f"{GROUPS}/{group['id']}/sessions"
        stranger = "0193a3c4-0000-7000-8000-0000000000ff"
        unknown = await client.post(
            sessions,
            json={
                "held_on": "2026-01-15",
                "place": "Hall",
                "agenda": "A",
                "attendance": [stranger],
            },
        )
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["loc"] == ["body", "attendance", 0]
        assert (await client.get(sessions)).json()["items"] == []
        assert (await client.get(members)).json()["items"] == []

        atlantis = await client.post(
            "/api/v1/appraisals/cities/atlantis/working-groups",
            json=GROUP,
        )
        assert atlantis.status_code == 403
    anywhere = principal(["wg_facilitator"], ["*"])
    async with appraisals.client(anywhere) as client:
        atlantis = await client.post(
            "/api/v1/appraisals/cities/atlantis/working-groups", json=GROUP
        )
        assert atlantis.status_code == 422
        assert atlantis.json()["errors"][0]["loc"] == ["path", "city"]


async def test_role_rules(appraisals: ServiceHarness) -> None:
    async with appraisals.client(FACILITATOR) as client:
        group = await create_group(client)
    url = f"{GROUPS}/{group['id']}"
    async with appraisals.client(MEMBER) as client:
        # Members read but do not manage.
        assert (await client.get(url)).status_code == 200
        assert (await client.post(GROUPS, json=GROUP)).status_code == 403
        refused = await client.post(f"{url}/members", json={"name": "A", "sector": "resident"})
        assert refused.status_code == 403
    async with appraisals.client(ANALYST) as client:
        assert (await client.get(GROUPS)).status_code == 200
        assert (await client.post(GROUPS, json=GROUP)).status_code == 403
    async with appraisals.client(ELSEWHERE) as client:
        # Another city's facilitator neither reads nor writes here.
        assert (await client.get(GROUPS)).status_code == 403
        assert (await client.get(url)).status_code == 403
        assert (await client.post(GROUPS, json=GROUP)).status_code == 403
        wrong_city = f"/api/v1/appraisals/cities/cape-town/working-groups/{group['id']}"
        assert (await client.get(wrong_city)).status_code == 404
    async with appraisals.client() as anonymous:
        # Groups are not public.
        assert (await anonymous.get(GROUPS)).status_code == 403
        assert (await anonymous.get(f"{url}/members")).status_code == 403


async def test_contacts_and_personal_data_only_for_contacts_readers(
    appraisals: ServiceHarness,
) -> None:
    async with appraisals.client(FACILITATOR) as client:
        group = await create_group(client)
        created = await client.post(
            f"{GROUPS}/{group['id']}/members",
            json={
                "name": "Thandi Mkhize",
                "sector": "community_leader",
                "role": "facilitator",
                "gender": "woman",
                "age_band": "35_49",
                "disability": False,
                "consent": CONSENT_ALL,
                "contact": {"email": "thandi@example.org", "phone": "+27 31 555 0101"},
            },
        )
        assert created.status_code == 201, created.text
        member_id = created.json()["id"]
        assert created.json()["contact"] == {
            "email": "thandi@example.org",
            "phone": "+27 31 555 0101",
        }
    url = f"{GROUPS}/{group['id']}/members"

    for who in (FACILITATOR, CITY_ADMIN):
        async with appraisals.client(who) as client:
            one = (await client.get(f"{url}/{member_id}")).json()
            assert one["contact"]["email"] == "thandi@example.org"
            assert one["gender"] == "woman"
            assert one["consent"]["scope"] == ["participation_statistics", "contact"]
            listed = (await client.get(url)).json()["items"]
            assert listed == [one]

    for who in (MEMBER, ANALYST):
        async with appraisals.client(who) as client:
            one = await client.get(f"{url}/{member_id}")
            assert one.status_code == 200
            assert set(one.json()) == {
                "id",
                "working_group_id",
                "name",
                "sector",
                "role",
                "created_at",
            }
            listed = (await client.get(url)).json()["items"]
            assert listed == [one.json()]
            assert PERSONAL_KEYS.isdisjoint(listed[0])
            assert "thandi@example.org" not in (await client.get(url)).text

    async with appraisals.client(ELSEWHERE) as client:
        assert (await client.get(f"{url}/{member_id}")).status_code == 403
        erase = await client.delete(f"{url}/{member_id}/personal-data")
        assert erase.status_code == 403

    async with appraisals.client(MEMBER) as client:
        assert (await client.delete(f"{url}/{member_id}/personal-data")).status_code == 403
    async with appraisals.client(FACILITATOR) as client:
        # Consent withdrawn: the personal data is gone, the member stays.
        erased = await client.delete(f"{url}/{member_id}/personal-data")
        assert erased.status_code == 204
        one = (await client.get(f"{url}/{member_id}")).json()
        assert one["name"] == "Thandi Mkhize"
        assert {key: one[key] for key in PERSONAL_KEYS} == dict.fromkeys(PERSONAL_KEYS)


async def test_participation_statistics_worked_example(appraisals: ServiceHarness) -> None:
    async with appraisals.client(FACILITATOR) as client:
        group = await create_group(client)
        group_url = f"{GROUPS}/{group['id']}"
        consent = {"consent": CONSENT_ALL}
        young_women = [
            await add_member(
                client, group["id"], gender="woman", age_band="18_24", disability=False, **consent
            )
            for _ in range(5)
        ]
        older_woman = await add_member(
            client, group["id"], gender="woman", age_band="25_34", disability=True, **consent
        )
        men = [
            await add_member(
                client,
                group["id"],
                sector="civil_society",
                gender="man",
                age_band="35_49",
                **consent,
            )
            for _ in range(2)
        ]
        official = await add_member(client, group["id"], sector="local_authority")
        late_joiner = await add_member(
            client, group["id"], gender="woman", age_band="18_24", **consent
        )
        await add_member(client, group["id"], sector="academia")  # never attends

        first = await client.post(
            f"{group_url}/sessions",
            json={
                "held_on": "2026-01-15",
                "place": "Inanda community hall",
                "agenda": "Map unsafe routes.",
                "minutes": "Twelve routes mapped.",
                "attendance": [*young_women, older_woman, young_women[0]],
            },
        )
        assert first.status_code == 201, first.text
        assert len(first.json()["attendance"]) == 6
        for held_on, attendance in (
            ("2026-02-10", [young_women[0], *men, official]),
            ("2026-04-02", [late_joiner, young_women[1]]),
        ):
            response = await client.post(
                f"{group_url}/sessions",
                json={
                    "held_on": held_on,
                    "place": "Hall",
                    "agenda": "Follow-up",
                    "attendance": attendance,
                },
            )
            assert response.status_code == 201, response.text

        sessions = (await client.get(f"{group_url}/sessions")).json()["items"]
        assert [item["held_on"] for item in sessions] == ["2026-04-02", "2026-02-10", "2026-01-15"]
        one = await client.get(f"{group_url}/sessions/{sessions[2]['id']}")
        assert one.json() == sessions[2]

    async with appraisals.client(MEMBER) as client:
        response = await client.get(f"{group_url}/statistics", params={"period": "2026-Q1"})
        assert response.status_code == 200, response.text
        stats = response.json()

        def counts(name: str) -> dict[str, int | None]:
            return {cell["key"]: cell["count"] for cell in stats[name] if cell["count"] != 0}

        # Q1: 9 distinct people (5 young women, 1 older woman, 2 men, 1 official); the
        # late joiner came only in April and the academic never.
        assert stats["period_start"] == "2026-01-01"
        assert stats["period_end"] == "2026-03-31"
        assert stats["sessions"] == 2
        assert stats["min_cell_count"] == 5
        assert stats["participants"] == {"key": "participants", "count": 9, "suppressed": False}
        assert stats["women"] == {"key": "women", "count": 6, "suppressed": False}
        assert stats["youth"] == {"key": "youth", "count": 5, "suppressed": False}
        assert counts("by_sector") == {
            "resident": 6,
            "civil_society": None,
            "local_authority": None,
        }
        assert counts("by_gender") == {"woman": 6, "man": None, "not_stated": None}
        assert counts("by_age_band") == {
            "18_24": 5,
            "25_34": None,
            "35_49": None,
            "not_stated": None,
        }
        assert counts("by_disability") == {"no": 5, "yes": None, "not_stated": None}

        april = (await client.get(f"{group_url}/statistics", params={"period": "2026-04"})).json()
        assert april["participants"] == {"key": "participants", "count": None, "suppressed": True}
        assert april["sessions"] == 1

        invalid = await client.get(f"{group_url}/statistics", params={"period": "2026-13"})
        assert invalid.status_code == 422
        assert invalid.json()["errors"][0]["loc"] == ["query", "period"]
    async with appraisals.client(FACILITATOR) as client:
        # A second group: the city's statistics count both (per membership).
        other = await create_group(client, name="Ntuzuma")
        resident = await add_member(client, other["id"])
        held = await client.post(
            f"{GROUPS}/{other['id']}/sessions",
            json={
                "held_on": "2026-03-01",
                "place": "School",
                "agenda": "A",
                "attendance": [resident],
            },
        )
        assert held.status_code == 201
    city_url = "/api/v1/appraisals/cities/durban/participation-statistics"
    async with appraisals.client(ANALYST) as client:
        city = (await client.get(city_url, params={"period": "2026-Q1"})).json()
        assert city["working_group_id"] is None
        assert city["sessions"] == 3
        assert city["participants"]["count"] == 10
        resident_cell = next(cell for cell in city["by_sector"] if cell["key"] == "resident")
        assert resident_cell["count"] == 7
        group_again = await client.get(f"{group_url}/statistics", params={"period": "2026-Q1"})
        assert group_again.json()["participants"]["count"] == 9
    async with appraisals.client(ELSEWHERE) as client:
        refused = await client.get(f"{group_url}/statistics", params={"period": "2026-Q1"})
        assert refused.status_code == 403
        assert (await client.get(city_url, params={"period": "2026"})).status_code == 403
