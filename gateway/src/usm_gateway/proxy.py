"""Forwarding to services: timeouts, a body limit, clean headers."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from usm_gateway.config import GatewaySettings
from usm_gateway.identity import Authenticator
from usm_gateway.ratelimit import RateLimiter, route_class
from usm_gateway.upstream import Unforwardable, Upstream, UpstreamTimeout, UpstreamUnavailable
from usmkit.auth import mint_internal_token
from usmkit.observability import REQUEST_ID_HEADER
from usmkit.problems import (
    BadRequest,
    GatewayTimeout,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
)

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
# Credentials end here; services trust only the internal token the gateway adds.
CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "cookie"})
INTERNAL_PREFIXES = ("x-usm-", "x-forwarded-", "forwarded")
UPSTREAM_ONLY = frozenset({"server", "date", REQUEST_ID_HEADER})


def forwardable(name: str) -> bool:
    lowered = name.lower()
    return (
        lowered not in HOP_BY_HOP
        and lowered not in CREDENTIAL_HEADERS
        and not lowered.startswith(INTERNAL_PREFIXES)
    )


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body may be at most {limit} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise PayloadTooLarge(f"The body may be at most {limit} bytes.")
    return bytes(body)


async def forward(
    request: Request,
    *,
    service: str,
    client: Upstream,
    settings: GatewaySettings,
    authenticator: Authenticator,
    limiter: RateLimiter,
) -> Response:
    base_url = settings.service_urls.get(service)
    if base_url is None:
        raise NotFound(f"No service {service!r}.")
    request_id: str = request.state.request_id
    bulk = route_class(request.method, request.url.path) == "bulk"
    body = await read_body(
        request, settings.max_bulk_body_bytes if bulk else settings.max_body_bytes
    )
    principal = await authenticator.authenticate(request, client, body)
    client_host = request.client.host if request.client else "unknown"
    allowance = limiter.check(principal, client_host, request.method, request.url.path)
    request.state.client_id = principal.client_id
    headers = [(name, value) for name, value in request.headers.items() if forwardable(name)]
    internal_token = mint_internal_token(
        principal, audience=service, secret=settings.internal_jwt_secret.get_secret_value()
    )
    headers += [
        ("authorization", f"Bearer {internal_token}"),
        (REQUEST_ID_HEADER, request_id),
        ("x-forwarded-for", client_host),
    ]
    # The path and query as the client sent them (still percent-encoded): decoding them
    # first would turn an escaped control character into a URL no client can send.
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    target = base_url + raw_path.decode("latin-1")
    if query:
        target += "?" + query.decode("latin-1")
    try:
        answer = await client.request(request.method, target, headers=headers, body=body)
    except Unforwardable as exc:
        raise BadRequest("The request's path, query or headers cannot be forwarded.") from exc
    except UpstreamUnavailable as exc:
        raise ServiceUnavailable(f"The {service} service is unavailable; try again.") from exc
    except UpstreamTimeout as exc:
        raise GatewayTimeout(f"The {service} service did not answer in time.") from exc
    # The gateway's own server, date and request-id headers stand; the upstream's are dropped.
    response_headers = {
        name: value
        for name, value in answer.headers
        if name.lower() not in HOP_BY_HOP | UPSTREAM_ONLY
    }
    return Response(
        content=answer.body,
        status_code=answer.status,
        headers={**response_headers, **allowance.headers()},
    )
