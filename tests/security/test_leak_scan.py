"""The leak scan (ARCHITECTURE §5): plant sensitive data with unique markers, then read every
public and low-privilege GET route of the merged OpenAPI and every event on the broker, and
find none of it.

Planted: a gender-based violence report (native API) and a sexual harassment report (Open311)
with exact coordinates, free text and reporter contact; a moderator's note on the first; a
normal report with contact details and an e-mail address and phone number inside its text;
a Working Group member with contact details and self-declared personal data.
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from usmdev.fuzzing import (
    Leak,
    Operation,
    concrete_path,
    coordinate_secrets,
    dev_bearer,
    find_leaks,
    operations,
    read_topics,
)
from usmdev.stack import Stack
from usmdev.waiting import eventually
from usmkit.events.topics import ALL_TOPICS

ADMIN = dev_bearer(["platform_admin"], ["*"], subject="leak-planter")
# The roles below moderator: none may see contact details or sensitive text and locations.
LOW_PRIVILEGE_ROLES = ("resident", "wg_member", "city_analyst", "partner_node")
# Staff with `reports:read` may see normal reports' exact locations and unscrubbed text.
READS_NORMAL_REPORTS = {"city_analyst"}
MAX_PAGES = 20
MEMBER_PRIVATE_FIELDS = {"contact", "gender", "age_band", "disability", "consent"}
# Inside DBN-CENTRAL (30.95..31.1 E, 29.88..29.83 S), with six decimals.
SENSITIVE_AT = (-29.861237, 31.023461)
OPEN311_AT = (-29.852719, 31.061893)
NORMAL_AT = (-29.847163, 31.007329)


@dataclass(frozen=True)
class Planted:
    """What was planted, and the strings that must never show outside their audience."""

    ids: dict[str, str]
    always_secret: dict[str, str]
    normal_report_secrets: dict[str, str]
    note_secret: dict[str, str]


def _marker(kind: str) -> str:
    return f"{kind}{uuid.uuid4().hex[:12]}"


def _contact(tag: str) -> tuple[dict[str, str], dict[str, str]]:
    digits = f"{uuid.uuid4().int % 10**7:07d}"
    name, email, phone = _marker(f"Name{tag}"), _marker(f"mail{tag}"), f"+2782{digits}"
    return (
        {"name": f"Zanele {name}", "email": f"{email}@example.org", "phone": phone},
        {f"{tag} contact name": name, f"{tag} contact email": email, f"{tag} phone": digits},
    )


def _plant(gateway: httpx.Client, known_ids: dict[str, str]) -> Planted:
    resident = dev_bearer(["resident"], ["durban"], subject="leak-resident")
    always: dict[str, str] = {}

    contact, secrets = _contact("gbv")
    always |= secrets
    gbv_text = _marker("GBVTEXT")
    always["gbv free text"] = gbv_text
    always |= {f"gbv {k}": v for k, v in coordinate_secrets(*SENSITIVE_AT).items()}
    gbv = gateway.post(
        "/api/v1/reports",
        json={
            "city": "durban",
            "category_code": "gbv",
            "latitude": SENSITIVE_AT[0],
            "longitude": SENSITIVE_AT[1],
            "description": f"{gbv_text}: he waits for her at the corner every night.",
            "attributes": {"immediate_danger": "no"},
            "contact": contact,
        },
        headers={"Idempotency-Key": f"leak-gbv-{gbv_text}"},
    )
    assert gbv.status_code == 201, gbv.text

    note = _marker("NOTETEXT")
    current = gateway.get(f"/api/v1/reports/{gbv.json()['id']}", headers=ADMIN)
    moved = gateway.post(
        f"/api/v1/reports/{gbv.json()['id']}/status",
        json={"status": "under_review", "public_note": f"{note}: a counsellor will call."},
        headers={**ADMIN, "If-Match": current.headers["etag"]},
    )
    assert moved.status_code == 200, moved.text

    open311_contact, secrets = _contact("open311")
    always |= secrets
    harassment_text = _marker("HARASSTEXT")
    always["open311 free text"] = harassment_text
    always |= {f"open311 {k}": v for k, v in coordinate_secrets(*OPEN311_AT).items()}
    first_name, last_name = open311_contact["name"].split(" ")
    harassment = gateway.post(
        "/open311/v2/requests.json",
        data={
            "jurisdiction_id": "durban",
            "service_code": "sexual-harassment",
            "lat": str(OPEN311_AT[0]),
            "long": str(OPEN311_AT[1]),
            "description": f"{harassment_text}: followed from the taxi rank.",
            "email": open311_contact["email"],
            "phone": open311_contact["phone"],
            "first_name": first_name,
            "last_name": last_name,
        },
        headers={**resident, "Idempotency-Key": f"leak-open311-{harassment_text}"},
    )
    assert harassment.status_code == 200, harassment.text

    normal_contact, secrets = _contact("normal")
    always |= secrets
    in_text = {"email": _marker("inline"), "phone": f"+2731{uuid.uuid4().int % 10**7:07d}"}
    normal = gateway.post(
        "/api/v1/reports",
        json={
            "city": "durban",
            "category_code": "streetlight",
            "latitude": NORMAL_AT[0],
            "longitude": NORMAL_AT[1],
            "description": f"Out again; call me on {in_text['phone']} or "
            f"{in_text['email']}@example.org.",
            "attributes": {"light_state": "out"},
            "contact": normal_contact,
        },
        headers={"Idempotency-Key": f"leak-normal-{in_text['email']}"},
    )
    assert normal.status_code == 201, normal.text
    normal_secrets = {
        "e-mail in normal text": in_text["email"],
        "phone in normal text": in_text["phone"][3:],
        **{f"normal {k}": v for k, v in coordinate_secrets(*NORMAL_AT).items()},
    }

    member_contact, secrets = _contact("member")
    always |= secrets
    group = f"/api/v1/appraisals/cities/durban/working-groups/{known_ids['working-groups']}"
    member = gateway.post(
        f"{group}/members",
        json={
            "name": "Member Without Secrets",
            "sector": "resident",
            "gender": "non_binary",
            "age_band": "25_34",
            "disability": True,
            "consent": {
                "given_at": "2026-11-20T09:00:00Z",
                "scope": ["participation_statistics", "contact"],
            },
            "contact": {"email": member_contact["email"], "phone": member_contact["phone"]},
        },
        headers={**ADMIN, "Idempotency-Key": f"leak-member-{member_contact['email']}"},
    )
    assert member.status_code == 201, member.text
    del always["member contact name"]  # members' names are not private to the group

    return Planted(
        ids={
            "gbv": gbv.json()["id"],
            "gbv tracking": gbv.json()["tracking_code"],
            "open311": harassment.json()[0]["service_request_id"],
            "open311 token": harassment.json()[0]["token"],
            "normal": normal.json()["id"],
            "normal tracking": normal.json()["tracking_code"],
            "member": member.json()["id"],
        },
        always_secret=always,
        normal_report_secrets=normal_secrets,
        note_secret={"moderator note on a sensitive report": note},
    )


@pytest.fixture(scope="module")
def planted(gateway: httpx.Client, known_ids: dict[str, str]) -> Planted:
    return _plant(gateway, known_ids)


def _fmt_values(operation: Operation) -> list[str]:
    """Every format the operation serves (`{fmt}`: Open311's json and xml, exports' csv...)."""
    for parameter in operation.parameters("path"):
        if parameter["name"] == "fmt":
            formats: list[str] = parameter.get("schema", {}).get("enum", ["json", "xml"])
            return formats
    return ["json"]


def urls_to_read(
    operation: Operation, known_ids: dict[str, str], planted: Planted
) -> Iterator[str]:
    """The operation's path for the demo data and for each planted record it can name."""
    variants = [
        known_ids,
        {
            **known_ids,
            "reports": planted.ids["gbv"],
            "requests": planted.ids["gbv"],
            "track": planted.ids["gbv tracking"],
            "tokens": planted.ids["gbv tracking"],
            "members": planted.ids["member"],
        },
        {
            **known_ids,
            "reports": planted.ids["open311"],
            "requests": planted.ids["open311"],
            "track": planted.ids["open311 token"],
            "tokens": planted.ids["open311 token"],
        },
        {
            **known_ids,
            "reports": planted.ids["normal"],
            "requests": planted.ids["normal"],
            "track": planted.ids["normal tracking"],
            "tokens": planted.ids["normal tracking"],
        },
    ]
    seen: set[str] = set()
    for ids in variants:
        for fmt in _fmt_values(operation):
            url = concrete_path(operation.path, ids, override={"fmt": fmt})
            if url not in seen:
                seen.add(url)
                yield url


def read_all_pages(
    gateway: httpx.Client, url: str, params: dict[str, Any], headers: dict[str, str]
) -> list[httpx.Response]:
    responses = []
    for _ in range(MAX_PAGES):
        response = gateway.get(url, params=params, headers=headers)
        responses.append(response)
        cursor = None
        if response.headers.get("content-type", "").startswith("application/json"):
            document = response.json()
            cursor = document.get("next_cursor") if isinstance(document, dict) else None
        if not cursor:
            break
        params = {**params, "cursor": cursor}
    return responses


def scan_routes(
    gateway: httpx.Client,
    spec: dict[str, Any],
    known_ids: dict[str, str],
    planted: Planted,
    *,
    role: str,
    headers: dict[str, str],
) -> tuple[list[Leak], list[str], int]:
    """Read every GET route open to `role`; the leaks found, server errors, URLs read."""
    secrets = {**planted.always_secret}
    if role not in READS_NORMAL_REPORTS:
        secrets |= planted.normal_report_secrets
    leaks: list[Leak] = []
    errors: list[str] = []
    read = 0
    for operation in operations(spec):
        if operation.method != "get" or not operation.open_to([role]):
            continue
        query = set(operation.parameter_names("query"))
        params: dict[str, Any] = {
            name: value
            for name, value in {"city": "durban", "period": "2025", "limit": 100}.items()
            if name in query
        }
        if operation.open311:
            params["jurisdiction_id"] = "durban"
        for url in urls_to_read(operation, known_ids, planted):
            for response in read_all_pages(gateway, url, params, headers):
                read += 1
                where = f"{role}: GET {response.request.url} ({response.status_code})"
                if response.status_code >= 500:
                    errors.append(f"{where}: {response.text[:300]}")
                text = response.text
                # The tracking code's holder is the reporter: the city's notes are for them.
                note_allowed = "/track/" in url or "/tokens/" in url
                leaks += find_leaks(
                    where, text, secrets if note_allowed else secrets | planted.note_secret
                )
                leaks += member_fields_shown(where, url, response)
    return leaks, errors, read


def member_fields_shown(where: str, url: str, response: httpx.Response) -> list[Leak]:
    """Members' self-declared data is not shown without `appraisals:contacts:read`."""
    if "/members" not in url or response.status_code != 200:
        return []
    document = response.json()
    members = document.get("items", [document]) if isinstance(document, dict) else document
    return [
        Leak(where=where, what=f"member field {field}", excerpt=json.dumps(member)[:300])
        for member in members
        for field in MEMBER_PRIVATE_FIELDS & set(member)
    ]


def report(leaks: list[Leak], errors: list[str]) -> str:
    lines = [f"LEAK {leak.what} in {leak.where}: …{leak.excerpt}…" for leak in leaks]
    return "\n".join(lines + [f"SERVER ERROR {error}" for error in errors])


def test_public_routes_leak_nothing(
    gateway: httpx.Client, merged_spec: dict[str, Any], known_ids: dict[str, str], planted: Planted
) -> None:
    leaks, errors, read = scan_routes(
        gateway, merged_spec, known_ids, planted, role="public", headers={}
    )
    assert read > 30, f"only {read} responses read: is the merged OpenAPI complete?"
    assert not leaks and not errors, report(leaks, errors)


@pytest.mark.parametrize("role", LOW_PRIVILEGE_ROLES)
def test_low_privilege_routes_leak_nothing(
    role: str,
    gateway: httpx.Client,
    merged_spec: dict[str, Any],
    known_ids: dict[str, str],
    planted: Planted,
) -> None:
    headers = dev_bearer([role], ["durban"], subject=f"leak-{role}")
    leaks, errors, read = scan_routes(
        gateway, merged_spec, known_ids, planted, role=role, headers=headers
    )
    assert read > 10
    assert not leaks and not errors, report(leaks, errors)


async def test_events_leak_nothing(seeded_stack: Stack, planted: Planted) -> None:
    bootstrap = seeded_stack.broker.bootstrap_servers

    async def planted_events_published() -> list[tuple[str, bytes]] | None:
        messages = await read_topics(bootstrap, ALL_TOPICS)
        subjects = {json.loads(value).get("subject") for _, value in messages}
        wanted = {planted.ids["gbv"], planted.ids["open311"], planted.ids["normal"]}
        return messages if wanted <= subjects else None

    messages = await eventually(
        planted_events_published, timeout_s=60, what="the planted reports' events"
    )
    secrets = {
        **planted.always_secret,
        **planted.normal_report_secrets,
        **planted.note_secret,
    }
    leaks = [
        leak
        for topic, value in messages
        for leak in find_leaks(f"event on {topic}", value.decode("utf-8", "replace"), secrets)
    ]
    assert len(messages) > 10
    assert not leaks, report(leaks, [])


def test_the_planted_data_is_really_there(gateway: httpx.Client, planted: Planted) -> None:
    """The scan proves something only if the markers can be found where they may be."""
    contact = gateway.get(f"/api/v1/reports/{planted.ids['gbv']}/contact", headers=ADMIN)
    assert contact.status_code == 200, contact.text
    assert find_leaks("moderator", contact.text, planted.always_secret)
    raw = gateway.get(f"/api/v1/reports/{planted.ids['gbv']}", headers=ADMIN)
    assert find_leaks("moderator", raw.text, {"text": planted.always_secret["gbv free text"]})
    # ...and the public views the scan reads do show the planted reports, stripped.
    public = gateway.get("/open311/v2/requests.json", params={"jurisdiction_id": "durban"})
    assert planted.ids["gbv"] in public.text and planted.ids["open311"] in public.text
