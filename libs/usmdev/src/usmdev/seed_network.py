"""Demo data of the network service, posted through the gateway (idempotent: run it twice)."""

from __future__ import annotations

from typing import Any

import httpx

CITIES: list[dict[str, Any]] = [
    {
        "slug": "durban",
        "name": "Durban (eThekwini)",
        "name_es": "Durban (eThekwini)",
        "country_code": "ZA",
        "region": "KwaZulu-Natal",
        "population": 3900000,
        "role": "pilot",
        "member_since": "2024-03-01",
        "languages": ["en", "zu"],
        "time_zone": "Africa/Johannesburg",
    },
    {
        "slug": "ciudad-juarez",
        "name": "Ciudad Juárez",
        "name_es": "Ciudad Juárez",
        "country_code": "MX",
        "region": "Chihuahua",
        "population": 1500000,
        "role": "pilot",
        "member_since": "2024-03-01",
        "languages": ["es"],
        "time_zone": "America/Ciudad_Juarez",
    },
]
PROFILE_FIELDS = ("name_es", "region", "population", "languages", "time_zone")
PARTNERSHIP = {
    "city_a": "durban",
    "city_b": "ciudad-juarez",
    "kind": "twinning",
    "since": "2025-06-01",
    "description": "The two pilot cities exchange Working Group facilitators.",
}
KNOWLEDGE: list[dict[str, Any]] = [
    {
        "kind": "practice",
        "title": "Lighting walking routes to schools",
        "summary": "Parents and learners mapped the darkest routes; the city lit them first.",
        "body": "## What we did\n\n- Night walks with parents\n- **Lit** the worst routes first",
        "dimensions": ["personal", "community"],
        "tags": ["lighting", "schools"],
        "origin_city": "durban",
        "language": "en",
    },
    {
        "kind": "case_study",
        "title": "Mercados seguros para las vendedoras",
        "summary": "Las vendedoras organizaron rondas nocturnas y la ciudad mejoró el alumbrado.",
        "body": "Las comerciantes **caminaron** juntas y registraron los puntos inseguros.",
        "dimensions": ["economic", "personal"],
        "tags": ["markets", "women"],
        "origin_city": "ciudad-juarez",
        "language": "es",
    },
]


def _ok(response: httpx.Response, *allowed: int) -> httpx.Response:
    if response.status_code not in (200, 201, *allowed):
        raise RuntimeError(f"seeding network failed: {response.status_code} {response.text}")
    return response


def seed_network(client: httpx.Client) -> None:
    """Member city profiles, a twinning and two knowledge items (an admin client)."""
    for city in CITIES:
        url = f"/api/v1/network/cities/{city['slug']}"
        current = client.get(url)
        if current.status_code == 404:
            _ok(
                client.post(
                    "/api/v1/network/cities",
                    json=city,
                    headers={"Idempotency-Key": f"seed-network-city-{city['slug']}"},
                ),
                409,
            )
            continue
        existing = _ok(current).json()
        changes = {name: city[name] for name in PROFILE_FIELDS if existing[name] != city[name]}
        if changes:
            _ok(client.patch(url, json=changes, headers={"If-Match": current.headers["etag"]}))
    _ok(
        client.post(
            "/api/v1/network/partnerships",
            json=PARTNERSHIP,
            headers={"Idempotency-Key": "seed-network-twinning-durban-juarez"},
        ),
        409,
    )
    for index, item in enumerate(KNOWLEDGE):
        _ok(
            client.post(
                "/api/v1/network/knowledge",
                json=item,
                headers={"Idempotency-Key": f"seed-network-knowledge-{index:04d}"},
            )
        )
