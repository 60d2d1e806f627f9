"""Hostile-input and leak-scan helpers: the merged OpenAPI's operations, concrete paths built
from known ids, a corpus of bad inputs, and scans of responses and events for planted data."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from usm_gateway.config import GatewaySettings
from usm_gateway.identity import mint_dev_token
from usm_gateway.ratelimit import route_class
from usmkit.auth import ROLE_SCOPES

METHODS = ("get", "post", "put", "patch", "delete")
_PARAMETER = re.compile(r"\{(\w+)\}")


def lifted_rate_limits() -> str:
    """`USM_GATEWAY_RATE_LIMITS` with every route class lifted: tests and benchmarks send far
    more from one address than an anonymous caller may."""
    classes = GatewaySettings().rate_limits
    return json.dumps(
        {name: {"per_minute": 10_000_000, "burst": 1_000_000} for name in sorted(classes)}
    )


# The bulk body limit of test stacks: small enough to cross in a test, above the normal one.
TEST_BULK_BODY_BYTES = 4 * 1024 * 1024


def hostile_gateway_env() -> dict[str, str]:
    """Gateway settings for stacks that take hostile traffic in tests: lifted rate limits and
    a bulk body limit a test can exceed cheaply."""
    return {
        "USM_GATEWAY_RATE_LIMITS": lifted_rate_limits(),
        "USM_GATEWAY_MAX_BULK_BODY_BYTES": str(TEST_BULK_BODY_BYTES),
    }


def body_limit(method: str, path: str) -> int:
    """The body limit a `hostile_gateway_env` gateway applies to a route."""
    if route_class(method.upper(), path) == "bulk":
        return TEST_BULK_BODY_BYTES
    return GatewaySettings().max_body_bytes


def dev_bearer(roles: list[str], cities: list[str], subject: str = "security") -> dict[str, str]:
    """Headers with a dev token for the roles, as `usm token` mints it."""
    secret = GatewaySettings().dev_issuer_secret.get_secret_value()
    token = mint_dev_token(
        secret=secret, subject=f"{subject}-{roles[0]}", roles=roles, cities=cities
    )
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Operation:
    """One operation of the merged OpenAPI."""

    method: str
    path: str
    spec: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def scopes(self) -> frozenset[str] | None:
        """The scopes the operation needs; None when it declares none (gateway admin routes
        and partner-signed ones, which are neither public nor scoped)."""
        declared = self.spec.get("x-usm-scopes")
        if declared is None:
            return frozenset() if self.public else None
        return frozenset(declared)

    @property
    def public(self) -> bool:
        # An empty security requirement means "no credentials needed" (OpenAPI 3.1).
        return {} in self.spec.get("security", [])

    @property
    def open311(self) -> bool:
        return self.path.startswith("/open311/")

    def open_to(self, roles: Iterable[str]) -> bool:
        """Whether a caller with these roles (in the operation's city) may call it."""
        granted: set[str] = set()
        for role in roles:
            granted |= ROLE_SCOPES.get(role, frozenset())
        needed = self.scopes
        return needed is not None and needed <= granted

    def parameters(self, location: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p.get("in") == location]

    def parameter_names(self, location: str) -> list[str]:
        return [p["name"] for p in self.parameters(location)]

    @property
    def takes_json(self) -> bool:
        content = self.spec.get("requestBody", {}).get("content", {})
        return "application/json" in content

    @property
    def takes_upload(self) -> bool:
        """Takes a file: a multipart body, or an upload route reading its body itself."""
        content = self.spec.get("requestBody", {}).get("content", {})
        return "multipart/form-data" in content or self.path.endswith("/upload")

    def request_schema(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON request body's schema with its top-level `$ref` resolved."""
        schema: dict[str, Any] = self.spec["requestBody"]["content"]["application/json"]["schema"]
        return resolve(spec, schema)


def operations(spec: Mapping[str, Any]) -> list[Operation]:
    """Every operation of a spec, in path then method order (stable test ids)."""
    return [
        Operation(method, path, spec["paths"][path][method])
        for path in sorted(spec["paths"])
        for method in METHODS
        if method in spec["paths"][path]
    ]


def resolve(spec: Mapping[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with a top-level `$ref` (`#/components/schemas/X`) replaced by its target."""
    while "$ref" in schema:
        *_, name = schema["$ref"].split("/")
        schema = spec["components"]["schemas"][name]
    return schema


def concrete_path(path: str, known: Mapping[str, str], *, override: Mapping[str, str] = {}) -> str:
    """`path` with each `{parameter}` replaced: from `override` by parameter name, else from
    `known` by the collection the parameter belongs to (the segment before it), so that
    `categories/{code}` and `districts/{code}` get different values.

    Open311's `{fmt}` is `json` unless overridden.
    """
    segments = path.split("/")
    for index, segment in enumerate(segments):
        for name in _PARAMETER.findall(segment):
            if name in override:
                value = override[name]
            elif name == "fmt":
                value = "json"
            else:
                collection = segments[index - 1] if index else ""
                value = known.get(collection, known.get(name, "unknown"))
            segment = segment.replace("{" + name + "}", value)
        segments[index] = segment
    return "/".join(segments)


# A corpus of hostile strings: each must be refused as an identifier and never break a query.
# SQL and script injection go together: where one is refused (or harmless), so is the other.
INJECTION = "' OR '1'='1'; DROP TABLE reports; -- \"><script>alert(1)</script>"
PATH_TRAVERSAL = ("../../../../etc/passwd", "..\\..\\..\\windows\\win.ini")
NUL = "nul\x00byte"
HUGE_INTEGER = 10**40
# `1e400` parses to infinity in Python's json module; services must refuse it, not store it.
HUGE_NUMBER_JSON = "1e400"
INVALID_CURSORS = ("not-a-cursor", "eyJub3QiOiAiYSBjdXJzb3IifQ==", "%00", "A" * 600)


def deep_json(depth: int) -> bytes:
    """A JSON document nested `depth` levels deep: recursive parsers overflow on it."""
    return b'{"a":' * depth + b"1" + b"}" * depth


def oversized_json(size: int) -> bytes:
    """A syntactically valid JSON object of more than `size` bytes."""
    return b'{"padding": "' + b"x" * size + b'"}'


def multipart_upload(
    filename: str, content: bytes, *, field: str = "file", fields: Mapping[str, str] = {}
) -> tuple[bytes, str]:
    """A multipart/form-data body with one file part named `filename` (written as given, so a
    traversal name reaches the server intact), and its content type."""
    boundary = "usm-hostile-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


def wrong_types(schema: Mapping[str, Any]) -> dict[str, Any]:
    """An object whose every declared property has a value of a type no schema here allows."""
    properties = schema.get("properties", {}) or {"unexpected": None}
    return {name: {"wrong": [[True]]} for name in properties}


def sample_body(spec: Mapping[str, Any], operation: Operation) -> dict[str, Any]:
    """The request body's first documented example, or an empty object."""
    schema = operation.request_schema(spec)
    examples = schema.get("examples") or []
    media = operation.spec["requestBody"]["content"]["application/json"]
    if not examples and "example" in media:
        examples = [media["example"]]
    return dict(examples[0]) if examples and isinstance(examples[0], dict) else {}


def string_fields(body: Mapping[str, Any]) -> list[str]:
    return [name for name, value in body.items() if isinstance(value, str)]


def number_fields(body: Mapping[str, Any]) -> list[str]:
    return [
        name
        for name, value in body.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]


@dataclass(frozen=True)
class Leak:
    """A planted secret found where it must not be."""

    where: str
    what: str
    excerpt: str


def find_leaks(where: str, text: str, secrets: Mapping[str, str]) -> list[Leak]:
    """Each secret (by name) found in `text`, with a little context around it."""
    found: list[Leak] = []
    for what, secret in secrets.items():
        position = text.find(secret)
        if position >= 0:
            excerpt = text[max(0, position - 80) : position + len(secret) + 80]
            found.append(Leak(where=where, what=what, excerpt=excerpt))
    return found


def coordinate_secrets(latitude: float, longitude: float) -> dict[str, str]:
    """The planted coordinates as they would appear when precise to 4 decimals or more
    (any rendering: JSON number, XML text, truncated or rounded)."""
    secrets: dict[str, str] = {}
    for name, value in (("latitude", latitude), ("longitude", longitude)):
        truncated = f"{int(value * 10_000) / 10_000:.4f}"
        rounded = f"{value:.4f}"
        secrets[f"exact {name}"] = truncated
        if rounded != truncated:
            secrets[f"exact {name} (rounded)"] = rounded
    return secrets


async def read_topics(bootstrap_servers: str, topics: Iterable[str]) -> list[tuple[str, bytes]]:
    """Every message on the topics up to their current end, as (topic, value)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=10_000,
    )
    await consumer.start()
    try:
        # Fetches the cluster's metadata, so that the partitions of unsubscribed topics are known.
        await consumer.topics()
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        messages: list[tuple[str, bytes]] = []
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1_000)
            for tp, records in batch.items():
                messages.extend((tp.topic, record.value or b"") for record in records)
                if records and records[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        return messages
    finally:
        await consumer.stop()
