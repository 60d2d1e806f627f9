"""One OpenAPI document for the whole API, merged from the services' own."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from usm_gateway.config import GatewaySettings
from usm_gateway.upstream import Upstream, UpstreamError
from usmkit.policy import SECURITY_SCHEMES


def merge_specs(
    gateway_spec: dict[str, Any], service_specs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    merged: dict[str, Any] = {
        **gateway_spec,
        "paths": dict(gateway_spec.get("paths", {})),
        "components": {"schemas": dict(gateway_spec.get("components", {}).get("schemas", {}))},
        "tags": list(gateway_spec.get("tags", [])),
    }
    for name in sorted(service_specs):
        spec = service_specs[name]
        merged["paths"].update(spec.get("paths", {}))
        merged["components"]["schemas"].update(spec.get("components", {}).get("schemas", {}))
        merged["tags"].append({"name": name, "description": spec.get("info", {}).get("title", "")})
    merged["components"]["securitySchemes"] = SECURITY_SCHEMES
    return merged


class MergedOpenAPI:
    """Fetches service specs at most every `openapi_cache_s`; a down service is left out."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._cached: tuple[float, dict[str, dict[str, Any]]] | None = None

    async def service_specs(self, client: Upstream) -> dict[str, dict[str, Any]]:
        now = time.monotonic()
        if self._cached is not None and now - self._cached[0] < self.settings.openapi_cache_s:
            return self._cached[1]

        async def fetch(name: str, url: str) -> tuple[str, dict[str, Any] | None]:
            try:
                answer = await client.request("GET", f"{url}/openapi.json", timeout_s=5)
                spec: dict[str, Any] = answer.json()
            except (UpstreamError, ValueError):
                return name, None
            return (name, spec) if answer.status == 200 else (name, None)

        results = await asyncio.gather(
            *(fetch(name, url) for name, url in self.settings.service_urls.items())
        )
        specs = {name: spec for name, spec in results if spec is not None}
        if len(specs) == len(self.settings.service_urls):
            self._cached = (now, specs)
        return specs
