"""Demo data, loaded through the gateway like any client would (so events flow)."""

from __future__ import annotations

import httpx

from usm_gateway.config import GatewaySettings
from usm_gateway.identity import mint_dev_token
from usmdev.seed_appraisals import seed_appraisals
from usmdev.seed_indicators import seed_indicators
from usmdev.seed_network import seed_network
from usmdev.seed_reports import seed_reports

DEMO_CITIES = [
    {"slug": "durban", "name": "Durban (eThekwini)", "country_code": "ZA", "role": "pilot"},
    {"slug": "ciudad-juarez", "name": "Ciudad Juárez", "country_code": "MX", "role": "pilot"},
]


def seed(gateway_url: str, *, timeout_s: float = 60) -> list[str]:
    """Register the demo cities; running it twice changes nothing."""
    token = mint_dev_token(
        secret=GatewaySettings().dev_issuer_secret.get_secret_value(),
        subject="usm-seed",
        roles=["platform_admin"],
        cities=["*"],
    )
    done: list[str] = []
    with httpx.Client(
        base_url=gateway_url, timeout=timeout_s, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        for city in DEMO_CITIES:
            response = client.post(
                "/api/v1/network/cities",
                json=city,
                headers={"Idempotency-Key": f"seed-city-{city['slug']}"},
            )
            if response.status_code not in (201, 409):
                raise RuntimeError(f"seeding {city['slug']} failed: {response.text}")
            done.append(city["slug"])
        # Each service's demo data, in the order the events let them build on each other.
        seed_network(client)
        seed_indicators(client)
        seed_reports(client)
        seed_appraisals(client)
    return done
