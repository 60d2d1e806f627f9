"""Forwarding to services: timeouts, a body limit, clean headers.

Proxied paths are served by a plain ASGI layer (`ProxyApp`) in front of FastAPI's router: its
routing, dependency solving, exception middleware and response objects cost more CPU per call
than the forwarding itself, and every millisecond here is added to every call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

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
    exception_handler_for,
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
        # The gateway reads the whole body before forwarding: its own server answers `Expect`.
        "expect",
    }
)
# Credentials end here; services trust only the internal token the gateway adds.
CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "cookie"})
INTERNAL_PREFIXES = ("x-usm-", "x-forwarded-", "forwarded")
UPSTREAM_ONLY = frozenset({"server", "date", REQUEST_ID_HEADER})
# The same, as ASGI headers come: bytes, lower case.
HOP_BY_HOP_RAW = frozenset(name.encode() for name in HOP_BY_HOP)
CREDENTIAL_HEADERS_RAW = frozenset(name.encode() for name in CREDENTIAL_HEADERS)
INTERNAL_PREFIXES_RAW = tuple(prefix.encode() for prefix in INTERNAL_PREFIXES)
REQUEST_ID_HEADER_RAW = REQUEST_ID_HEADER.encode()
# Response headers of the upstream that the gateway does not pass on, as they come off the wire.
DROPPED_RESPONSE_HEADERS = frozenset(name.encode() for name in HOP_BY_HOP | UPSTREAM_ONLY)
PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
API_PREFIX = "/api/v1/"
OPEN311_V2_PREFIX = "/open311/v2/"
# The gateway's own routes under the API prefix (the admin API) are FastAPI's.
OWN_SERVICE = "admin"


def service_of(path: str) -> str | None:
    """The service a public path is forwarded to, or None for the gateway's own routes."""
    if path.startswith(OPEN311_V2_PREFIX):
        # Open311 GeoReport v2 is served by the reports service.
        return "reports"
    if not path.startswith(API_PREFIX):
        return None
    service = path[len(API_PREFIX) :].partition("/")[0]
    return service if service and service != OWN_SERVICE else None


def forwardable(name: bytes) -> bool:
    """`name` as ASGI gives it: lower case."""
    return (
        name not in HOP_BY_HOP_RAW
        and name not in CREDENTIAL_HEADERS_RAW
        and not name.startswith(INTERNAL_PREFIXES_RAW)
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
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The upstream's answer to the request: status, response headers and body."""
    base_url = settings.service_urls.get(service)
    if base_url is None:
        raise NotFound(f"No service {service!r}.")
    scope = request.scope
    method: str = scope["method"]
    path: str = scope["path"]
    request_id: str = scope["state"]["request_id"]
    bulk = route_class(method, path) == "bulk"
    body = await read_body(
        request, settings.max_bulk_body_bytes if bulk else settings.max_body_bytes
    )
    principal = await authenticator.authenticate(request, client, body)
    client_host = scope["client"][0] if scope.get("client") else "unknown"
    allowance = limiter.check(principal, client_host, method, path)
    scope["state"]["client_id"] = principal.client_id
    headers = [(name, value) for name, value in scope["headers"] if forwardable(name)]
    internal_token = mint_internal_token(
        principal, audience=service, secret=settings.internal_jwt_secret.get_secret_value()
    )
    headers += [
        (b"authorization", b"Bearer " + internal_token.encode()),
        (REQUEST_ID_HEADER_RAW, request_id.encode()),
        (b"x-forwarded-for", client_host.encode()),
    ]
    # The path and query as the client sent them (still percent-encoded): decoding them
    # first would turn an escaped control character into a URL no client can send.
    target = scope.get("raw_path") or path.encode()
    query = scope.get("query_string", b"")
    if query:
        target += b"?" + query
    try:
        answer = await client.services.forward(method, base_url, target, headers, body)
    except Unforwardable as exc:
        raise BadRequest("The request's path, query or headers cannot be forwarded.") from exc
    except UpstreamUnavailable as exc:
        raise ServiceUnavailable(f"The {service} service is unavailable; try again.") from exc
    except UpstreamTimeout as exc:
        raise GatewayTimeout(f"The {service} service did not answer in time.") from exc
    # The gateway's own server, date and request-id headers stand; the upstream's are dropped.
    response_headers = [
        (name, value)
        for name, value in answer.raw_headers
        if name.lower() not in DROPPED_RESPONSE_HEADERS
    ]
    response_headers += allowance.raw_headers()
    # As Starlette's Response: no length on answers that carry no body by definition.
    if answer.status >= 200 and answer.status not in (204, 304):
        response_headers.append((b"content-length", str(len(answer.body)).encode()))
    return answer.status, response_headers, answer.body


class ProxyApp:
    """Forwards the services' paths; everything else goes on to the gateway's own routes.

    Errors are answered by the app's exception handlers, as FastAPI would: problem+json, or
    Open311's error documents on its paths."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        client: Upstream,
        settings: GatewaySettings,
        authenticator: Authenticator,
        limiter: RateLimiter,
        exception_handlers: Mapping[Any, Any],
    ) -> None:
        self.app = app
        self.client = client
        self.settings = settings
        self.authenticator = authenticator
        self.limiter = limiter
        self.exception_handlers = exception_handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        service = service_of(scope["path"]) if scope["type"] == "http" else None
        if service is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            if scope["method"] not in PROXY_METHODS:
                # TRACE would echo the internal token back; CONNECT and the rest mean nothing here.
                allow = {"Allow": ", ".join(PROXY_METHODS)}
                raise HTTPException(405, "This method is not forwarded.", headers=allow)
            status, headers, body = await forward(
                request,
                service=service,
                client=self.client,
                settings=self.settings,
                authenticator=self.authenticator,
                limiter=self.limiter,
            )
        except Exception as exc:
            handler = exception_handler_for(self.exception_handlers, exc)
            if handler is None:
                raise
            response = await handler(request, exc)
            await response(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
