"""Token buckets per caller and route class, in this replica's memory.

Limits are per gateway replica (documented in docs/decisions.md): with N replicas behind a
load balancer a caller may get up to N times the configured rate.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from usm_gateway.config import GatewaySettings, RateLimit
from usmkit.auth import Principal
from usmkit.problems import ProblemError

MAX_BUCKETS = 100_000


class TooManyRequests(ProblemError):
    status, title, slug = 429, "Too many requests", "rate-limited"


@dataclass
class Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Allowance:
    limit: int
    remaining: int
    reset_s: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
        }

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The same, as ASGI sends them."""
        return [(name.lower().encode(), value.encode()) for name, value in self.headers().items()]


def route_class(method: str, path: str) -> str:
    """Which limit applies: intake, sync, bulk, reads or writes."""
    if path.startswith("/api/v1/network/sync"):
        return "sync"
    if method == "POST" and (
        path.rstrip("/") == "/api/v1/reports" or path.startswith("/open311/v2/requests")
    ):
        return "intake"
    if method in ("GET", "HEAD", "OPTIONS"):
        return "reads"
    if path.endswith(("/values", "/bulk", "/upload")):
        return "bulk"
    return "writes"


class RateLimiter:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._buckets: OrderedDict[tuple[str, str], Bucket] = OrderedDict()

    def _limit_for(self, route: str, authenticated: bool) -> RateLimit:
        base = self.settings.rate_limits.get(route) or self.settings.rate_limits["writes"]
        if not authenticated:
            return base
        factor = self.settings.authenticated_factor
        return RateLimit(per_minute=base.per_minute * factor, burst=math.ceil(base.burst * factor))

    def check(self, principal: Principal, client_ip: str, method: str, path: str) -> Allowance:
        """Take one token or raise 429 with `Retry-After`."""
        route = route_class(method, path)
        authenticated = principal.subject != "anonymous"
        caller = principal.client_id or principal.subject if authenticated else f"ip:{client_ip}"
        limit = self._limit_for(route, authenticated)
        rate_per_s = limit.per_minute / 60
        now = time.monotonic()
        bucket = self._buckets.pop((caller, route), None) or Bucket(float(limit.burst), now)
        bucket.tokens = min(limit.burst, bucket.tokens + (now - bucket.updated) * rate_per_s)
        bucket.updated = now
        self._buckets[(caller, route)] = bucket
        if len(self._buckets) > MAX_BUCKETS:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1:
            retry_after = math.ceil((1 - bucket.tokens) / rate_per_s)
            allowance = Allowance(limit.burst, 0, retry_after)
            raise TooManyRequests(
                f"Rate limit for {route} exceeded; retry in {retry_after}s.",
                headers={"Retry-After": str(retry_after), **allowance.headers()},
            )
        bucket.tokens -= 1
        reset = math.ceil((limit.burst - bucket.tokens) / rate_per_s)
        return Allowance(limit.burst, int(bucket.tokens), reset)
