"""Demo data of the appraisals service: Durban's default appraisal template, a Working Group,
its members and a session, a finalized appraisal made from the template and an active Human
Security Plan with some progress.

Everything is posted through the gateway with fixed Idempotency-Keys, so a second run
replays the first answers and changes nothing. The people are fictional.
"""

from __future__ import annotations

from typing import Any

import httpx

from usmdev.waiting import retry_while

CITY = "durban"
BASE = f"/api/v1/appraisals/cities/{CITY}"
CITY_WAIT_S = 60
CONSENT = {"given_at": "2026-01-10T09:00:00Z", "scope": ["participation_statistics"]}

MEMBERS: list[dict[str, Any]] = [
    {
        "name": "Nomvula Dlamini",
        "sector": "community_leader",
        "role": "facilitator",
        "gender": "woman",
        "age_band": "35_49",
        "consent": {**CONSENT, "scope": ["participation_statistics", "contact"]},
        "contact": {"email": "nomvula.facilitator@example.org"},
    },
    {"name": "Sipho Ndlovu", "sector": "local_authority", "gender": "man", "consent": CONSENT},
    {
        "name": "Ayanda Zulu",
        "sector": "resident",
        "gender": "woman",
        "age_band": "18_24",
        "consent": CONSENT,
    },
    {
        "name": "Lerato Khumalo",
        "sector": "resident",
        "gender": "woman",
        "age_band": "18_24",
        "consent": CONSENT,
    },
    {
        "name": "Priya Naidoo",
        "sector": "civil_society",
        "gender": "woman",
        "age_band": "25_34",
        "disability": True,
        "consent": CONSENT,
    },
    {"name": "Thabo Mthembu", "sector": "academia"},
]

LEVELS = ["very low", "low", "medium", "high", "very high"]
# The seven dimensions of human security (UNDP 1994), each with prompts for the group.
TEMPLATE: dict[str, Any] = {
    "name": "Neighbourhood human security appraisal",
    "description": "The standard structure: one section per dimension of human security.",
    "language": "en",
    "sections": [
        {
            "dimension": dimension,
            "title": title,
            "prompts": [
                f"What threatens people's {title.lower()} here, and where?",
                "Who is hurt most by it?",
                "What protects people now, and what can they do themselves?",
            ],
        }
        for dimension, title in (
            ("economic", "Economic security"),
            ("food", "Food security"),
            ("health", "Health security"),
            ("environmental", "Environmental security"),
            ("personal", "Personal security"),
            ("community", "Community security"),
            ("political", "Political security"),
        )
    ],
    "default_affected_groups": ["women", "youth", "older people", "people with disabilities"],
    "scales": {
        "severity": LEVELS,
        "likelihood": ["rare", "unlikely", "possible", "likely", "almost certain"],
        "strength": LEVELS,
    },
}

APPRAISAL: dict[str, Any] = {
    "title": "Central and North appraisal, first quarter 2026",
    "districts": ["DBN-CENTRAL", "DBN-NORTH"],
    "period": "2026-Q1",
    "insecurities": [
        {
            "dimension": "personal",
            "description": "Muggings on the unlit walk from the taxi rank after dark.",
            "affected_groups": ["young women", "shift workers"],
            "severity": 4,
            "likelihood": 4,
            "trend": "worsening",
            "evidence": {"indicator_codes": ["SDG_16_1_1"]},
        },
        {
            "dimension": "economic",
            "description": "Few first jobs for school leavers.",
            "affected_groups": ["youth"],
            "severity": 3,
            "likelihood": 5,
            "trend": "stable",
        },
    ],
    "root_causes": [
        {"description": "Broken street lights and no foot patrols.", "dimensions": ["personal"]}
    ],
    "capacities": [
        {"kind": "protection", "actor": "Metro Police", "strength": 2},
        {"kind": "empowerment", "actor": "Street committees", "strength": 4},
    ],
    "priorities": [
        {"rank": 1, "dimension": "personal", "title": "Light the taxi-rank walk", "votes": 21},
        {"rank": 2, "dimension": "economic", "title": "Youth apprenticeships", "votes": 14},
    ],
}


def _post(client: httpx.Client, path: str, body: dict[str, Any], key: str, **headers: str) -> Any:
    response = client.post(path, json=body, headers={"Idempotency-Key": key, **headers})
    if response.status_code not in (200, 201):
        raise RuntimeError(f"seeding appraisals {path} failed: {response.text}")
    return response.json()


def _move(client: httpx.Client, path: str, to: str, key: str) -> None:
    etag = client.get(path).headers.get("etag", '"1"')
    _post(client, f"{path}/transitions", {"to": to}, key, **{"If-Match": etag})


def seed_appraisals(client: httpx.Client) -> None:
    """Load the demo; `client` calls the gateway as a platform admin."""
    group_body = {
        "name": "Central and North Safer Neighbourhoods Group",
        "districts": ["DBN-CENTRAL", "DBN-NORTH"],
        "mandate": "Appraise human security in Central and North and follow the plan.",
    }
    # 422 until the appraisals service has heard of the city.
    response = retry_while(
        lambda: client.post(
            f"{BASE}/working-groups",
            json=group_body,
            headers={"Idempotency-Key": "seed-appraisals-group-1"},
        ),
        status=422,
        timeout_s=CITY_WAIT_S,
        what="appraisals to know durban",
    )
    if response.status_code != 201:
        raise RuntimeError(f"seeding appraisals group failed: {response.text}")
    group_id = response.json()["id"]
    groups = f"{BASE}/working-groups/{group_id}"
    member_ids = [
        _post(client, f"{groups}/members", member, f"seed-appraisals-member-{index}")["id"]
        for index, member in enumerate(MEMBERS)
    ]
    _post(
        client,
        f"{groups}/sessions",
        {
            "held_on": "2026-02-12",
            "place": "Warwick Junction community hall",
            "agenda": "Walk the routes; rank the priorities.",
            "minutes": "Two priorities agreed by vote.",
            "attendance": member_ids,
        },
        "seed-appraisals-session-1",
    )

    template = _post(client, f"{BASE}/appraisal-templates", TEMPLATE, "seed-appraisals-template-1")
    appraisal = _post(
        client,
        f"{BASE}/appraisals",
        {"working_group_id": group_id, "template_id": template["id"], **APPRAISAL},
        "seed-appraisals-appraisal-1",
    )
    appraisal_path = f"{BASE}/appraisals/{appraisal['id']}"
    _move(client, appraisal_path, "in_review", "seed-appraisals-appraisal-1-review")
    _move(client, appraisal_path, "finalized", "seed-appraisals-appraisal-1-final")

    plan = _post(
        client,
        f"{BASE}/plans",
        {
            "title": "Central and North Human Security Plan 2026",
            "summary": "Safer walking routes and first jobs for young people.",
            "appraisal_ids": [appraisal["id"]],
        },
        "seed-appraisals-plan-1",
    )
    plan_path = f"{BASE}/plans/{plan['id']}"
    objective = _post(
        client,
        f"{plan_path}/items",
        {"kind": "objective", "title": "People walk safely after dark"},
        "seed-appraisals-plan-1-objective-1",
    )
    lighting = _post(
        client,
        f"{plan_path}/items",
        {
            "kind": "action",
            "parent_id": objective["id"],
            "title": "Repair and add lights on the taxi-rank walk",
            "lead_actor": "eThekwini Electricity",
            "partners": ["Street committees"],
            "districts": ["DBN-CENTRAL"],
            "start_date": "2026-03-01",
            "end_date": "2026-08-31",
            "budget": "450000.00",
            "currency": "ZAR",
            "indicators": [{"code": "SDG_16_1_1", "baseline": 41.0, "target": 30.0}],
        },
        "seed-appraisals-plan-1-action-1",
    )
    _post(
        client,
        f"{plan_path}/items",
        {
            "kind": "action",
            "parent_id": objective["id"],
            "title": "Evening walking groups",
            "lead_actor": "Street committees",
            "districts": ["DBN-NORTH"],
            "start_date": "2026-03-01",
            "end_date": "2026-12-31",
            "budget": "50000.00",
            "currency": "ZAR",
        },
        "seed-appraisals-plan-1-action-2",
    )
    _move(client, plan_path, "approved", "seed-appraisals-plan-1-approve")
    _move(client, plan_path, "active", "seed-appraisals-plan-1-activate")
    _post(
        client,
        f"{plan_path}/items/{lighting['id']}/progress",
        {"reported_on": "2026-04-30", "narrative": "60 of 150 lights repaired.", "percent": 40},
        "seed-appraisals-plan-1-progress-1",
    )
