"""A corpus of bad inputs sent to every operation of the merged OpenAPI, through the gateway of
a running seeded stack: oversized bodies, deep JSON, wrong types, invalid UTF-8, NUL bytes, SQL
and script injection, huge numbers, negative limits, invalid cursors and path traversal.

Each is answered with a 4xx in the API's error shape (RFC 9457 problem+json; Open311 paths:
`[{"code", "description"}]`), never a 5xx, and a refused write stores nothing: the collection
it writes to lists the same items before and after.

The operations are those the code serves (`usmdev.contracts`, the same document the gateway
merges at `/openapi.json`), so each has its own test id; the test checks the running gateway
serves it too.
"""

import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest

from usmdev.contracts import openapi_documents
from usmdev.fuzzing import (
    HUGE_INTEGER,
    HUGE_NUMBER_JSON,
    INJECTION,
    INVALID_CURSORS,
    NUL,
    PATH_TRAVERSAL,
    Operation,
    body_limit,
    concrete_path,
    deep_json,
    dev_bearer,
    multipart_upload,
    number_fields,
    operations,
    oversized_json,
    sample_body,
    string_fields,
    wrong_types,
)

MERGED = openapi_documents()["gateway"]
OPERATIONS = operations(MERGED)
ADMIN = dev_bearer(["platform_admin"], ["*"], subject="hostile")
FORM = "application/x-www-form-urlencoded"
# Deep enough to overflow a recursive parser, small enough to pass the body limit.
NESTING_DEPTH = 100_000
# Query parameters the tests fill with a valid value when they probe something else.
REQUIRED_QUERY = {"city": "durban", "jurisdiction_id": "durban", "period": "2025"}
PROBES_IN_FLIGHT = 4
HOSTILE_IDENTIFIERS = (INJECTION, PATH_TRAVERSAL[0], NUL, "x" * 5000)
HOSTILE_TEXT = (INJECTION, NUL)
HOSTILE_FORMATS = ("xml/../../../etc/passwd", "php")
# Open311's query parameters and form fields are read from the request, not declared in the
# OpenAPI document (a gap reported with these tests): the standard's names, by type.
OPEN311_QUERY = {
    "service_request_id": "string",
    "service_code": "string",
    "status": "string",
    "start_date": "string",
    "end_date": "string",
    "page": "integer",
    "page_size": "integer",
}
OPEN311_FORM = {
    "jurisdiction_id": "durban",
    "service_code": "streetlight",
    "lat": "-29.85",
    "long": "31.02",
    "attribute[light_state]": "out",
    "description": "The light is out.",
}


@dataclass
class Outcome:
    """What one probe sent and got."""

    probe: str
    method: str
    url: str
    status: int
    content_type: str
    body: str

    def describe(self) -> str:
        return (
            f"{self.probe}: {self.method} {self.url} -> {self.status} {self.content_type} "
            f"{self.body[:300]!r}"
        )


@dataclass
class Prober:
    """Sends probes for one operation, a few at a time, and keeps what breaks the rules."""

    gateway: httpx.Client
    operation: Operation
    known_ids: dict[str, str]
    pool: ThreadPoolExecutor | None = None
    failures: list[str] = field(default_factory=list)
    pending: list[tuple[Future[Outcome], Callable[[Outcome], None]]] = field(default_factory=list)

    @property
    def body_limit(self) -> int:
        return body_limit(self.operation.method, self.operation.path)

    def url(self, override: dict[str, str] | None = None) -> str:
        return concrete_path(self.operation.path, self.known_ids, override=override or {})

    def query_types(self) -> dict[str, str]:
        """Each query parameter the operation reads, with its schema as JSON text."""
        declared = {
            p["name"]: json.dumps(p.get("schema", {})) for p in self.operation.parameters("query")
        }
        if self.operation.open311 and self.operation.method == "get":
            return {"jurisdiction_id": '"string"', **OPEN311_QUERY, **declared}
        return declared

    def query(self, **probed: Any) -> dict[str, Any]:
        required = {
            name: REQUIRED_QUERY[name] for name in self.query_types() if name in REQUIRED_QUERY
        }
        return {**required, **probed}

    def send(
        self,
        probe: str,
        *,
        path: str | None = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        content_type: str = "application/json",
    ) -> Future[Outcome]:
        assert self.pool is not None
        return self.pool.submit(
            self.send_now,
            probe,
            path=path,
            params=params,
            content=content,
            content_type=content_type,
        )

    def send_now(
        self,
        probe: str,
        *,
        path: str | None,
        params: dict[str, Any] | None,
        content: bytes | None,
        content_type: str,
    ) -> Outcome:
        headers = {**ADMIN, "Idempotency-Key": str(uuid.uuid4()), "If-Match": '"1"'}
        if content is not None:
            headers["Content-Type"] = content_type
        elif self.operation.takes_json:
            # Only the probed part is wrong: the body, when needed, is the documented example.
            content = json.dumps(sample_body(MERGED, self.operation)).encode()
            headers["Content-Type"] = "application/json"
        response = self.gateway.request(
            self.operation.method.upper(),
            path or self.url(),
            params=params if params is not None else self.query(),
            content=content,
            headers=headers,
        )
        return Outcome(
            probe=probe,
            method=self.operation.method.upper(),
            url=str(response.request.url),
            status=response.status_code,
            content_type=response.headers.get("content-type", ""),
            body=response.text,
        )

    def expect_refused(self, sent: Future[Outcome], *, statuses: range = range(400, 500)) -> None:
        """A 4xx (within `statuses`) in the path's error shape."""
        self.pending.append((sent, lambda outcome: self.refused(outcome, statuses)))

    def expect_no_server_error(self, sent: Future[Outcome]) -> None:
        """Any answer but a 5xx; a 4xx in the path's error shape."""
        self.pending.append((sent, self.no_server_error))

    def finish(self) -> None:
        """Wait for every probe sent and check its outcome, in the order sent."""
        for sent, check in self.pending:
            check(sent.result())
        self.pending.clear()

    def refused(self, outcome: Outcome, statuses: range) -> None:
        if outcome.status not in statuses:
            self.failures.append(f"not refused: {outcome.describe()}")
            return
        self.expect_error_shape(outcome)

    def no_server_error(self, outcome: Outcome) -> None:
        if outcome.status >= 500:
            self.failures.append(f"server error: {outcome.describe()}")
        elif outcome.status >= 400:
            self.expect_error_shape(outcome)

    def expect_error_shape(self, outcome: Outcome) -> None:
        if self.operation.open311 and not outcome.url.split("?")[0].endswith(".xml"):
            try:
                errors = json.loads(outcome.body)
            except ValueError:
                errors = None
            if not (
                isinstance(errors, list)
                and errors
                and all(isinstance(e, dict) and {"code", "description"} <= set(e) for e in errors)
            ):
                self.failures.append(f"not an Open311 error: {outcome.describe()}")
            return
        if self.operation.open311:
            if "<errors>" not in outcome.body:
                self.failures.append(f"not an Open311 XML error: {outcome.describe()}")
            return
        if not outcome.content_type.startswith("application/problem+json"):
            self.failures.append(f"not problem+json: {outcome.describe()}")
            return
        problem = json.loads(outcome.body)
        if not {"type", "title", "status"} <= set(problem) or problem["status"] != outcome.status:
            self.failures.append(f"malformed problem: {outcome.describe()}")


def _items(response: httpx.Response) -> list[Any]:
    document = response.json()
    items: list[Any] = document["items"] if isinstance(document, dict) else document
    return items


def stored(prober: Prober) -> list[str] | None:
    """What the collection a write operation adds to lists now (all pages), or None when
    the operation has no such collection."""
    operation = prober.operation
    collection = operation.path if operation.method == "post" else None
    if operation.method == "put":
        collection = operation.path.rsplit("/", 1)[0]
    if collection is None or "get" not in MERGED["paths"].get(collection, {}):
        return None
    lister = Prober(
        prober.gateway,
        Operation("get", collection, MERGED["paths"][collection]["get"]),
        prober.known_ids,
    )
    path = lister.url()
    params = lister.query()
    if "limit" in lister.query_types():
        params["limit"] = 100
    listed: list[str] = []
    while True:
        response = prober.gateway.get(path, params=params, headers=ADMIN)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        listed.extend(json.dumps(item, sort_keys=True)[:200] for item in _items(response))
        cursor = response.json().get("next_cursor") if isinstance(response.json(), dict) else None
        if not cursor:
            return sorted(listed)
        params["cursor"] = cursor


@pytest.fixture(scope="module")
def pool() -> Iterator[ThreadPoolExecutor]:
    # A few probes in flight at once: the stack serves them concurrently, as it would clients.
    with ThreadPoolExecutor(max_workers=PROBES_IN_FLIGHT) as executor:
        yield executor


def probe_path(prober: Prober) -> None:
    for name in prober.operation.parameter_names("path"):
        values = HOSTILE_FORMATS if name == "fmt" else HOSTILE_IDENTIFIERS
        for value in values:
            # Percent-encoded, as an attacker would send it: a literal `/` or `..` would be
            # resolved by the client before it is sent.
            sent = prober.send(
                f"path {name}={value!r}", path=prober.url({name: quote(value, safe="")})
            )
            prober.expect_refused(sent)


def probe_query(prober: Prober) -> None:
    for name, types in prober.query_types().items():
        if name == "cursor":
            for cursor in INVALID_CURSORS:
                sent = prober.send(f"cursor={cursor[:20]!r}", params=prober.query(cursor=cursor))
                prober.expect_refused(sent)
        elif '"integer"' in types:
            for number in (-1, HUGE_INTEGER, "1e400", "NaN"):
                sent = prober.send(f"{name}={number}", params=prober.query(**{name: number}))
                prober.expect_refused(sent)
        else:
            # Free text may match nothing (200), but never breaks the query.
            for text in HOSTILE_TEXT:
                sent = prober.send(f"{name}={text!r}", params=prober.query(**{name: text}))
                prober.expect_no_server_error(sent)


def probe_body(prober: Prober) -> None:
    send = prober.send
    prober.expect_refused(
        send("body over the limit", content=oversized_json(prober.body_limit)),
        statuses=range(413, 414),
    )
    prober.expect_refused(
        send(f"JSON nested {NESTING_DEPTH} deep", content=deep_json(NESTING_DEPTH))
    )
    prober.expect_refused(send("invalid UTF-8", content=b'{"name": "caf\xc3\x28 \xff\xfe"}'))
    prober.expect_refused(send("truncated JSON", content=b'{"name": "'))
    prober.expect_refused(send("JSON array body", content=b"[[[]]]"))
    prober.expect_refused(
        send("form body", content=b"a=1&b=2", content_type="application/x-www-form-urlencoded")
    )
    schema = prober.operation.request_schema(MERGED)
    prober.expect_refused(send("wrong types", content=json.dumps(wrong_types(schema)).encode()))
    example = sample_body(MERGED, prober.operation)
    properties = schema.get("properties", {})
    for name in string_fields(example):
        bodies = {"NUL byte": {**example, name: f"{example[name]}{NUL}"}}
        if "pattern" in json.dumps(properties.get(name, {})):
            # A constrained identifier (slug, code): injection never passes its pattern.
            bodies.update({f"{text!r}": {**example, name: text} for text in HOSTILE_TEXT})
        for what, body in bodies.items():
            prober.expect_refused(send(f"{name}: {what}", content=json.dumps(body).encode()))
    for name in number_fields(example):
        # json.dumps cannot write these numbers: they go in as raw JSON text.
        template = json.dumps({**example, name: "<number>"})
        for number in (HUGE_NUMBER_JSON, "-1e400", str(HUGE_INTEGER), "NaN"):
            content = template.replace('"<number>"', number).encode()
            prober.expect_refused(send(f"{name}: {number}", content=content))


def probe_open311_form(prober: Prober) -> None:
    """Open311 POST bodies are forms: the same corpus in its fields, and a file upload."""

    def form(**fields: str) -> bytes:
        return urlencode({**OPEN311_FORM, **fields}).encode()

    def send(probe: str, content: bytes, content_type: str = FORM) -> Future[Outcome]:
        return prober.send(probe, params={}, content=content, content_type=content_type)

    prober.expect_refused(
        send("form over the limit", form(description="x" * prober.body_limit)),
        statuses=range(413, 414),
    )
    prober.expect_refused(send("invalid UTF-8 form", form().replace(b"out", b"\xff\xfe")))
    prober.expect_refused(send("NUL in description", form(description=NUL)))
    for text in (*HOSTILE_TEXT, *PATH_TRAVERSAL):
        prober.expect_refused(send(f"service_code={text!r}", form(service_code=text)))
    for number in (HUGE_NUMBER_JSON, "NaN", "-inf", str(HUGE_INTEGER)):
        prober.expect_refused(send(f"lat={number}", form(lat=number)))
    upload, content_type = multipart_upload(
        PATH_TRAVERSAL[0], b"root:x:0:0", field="media", fields={"jurisdiction_id": "durban"}
    )
    prober.expect_refused(send("a file named ../../etc/passwd", upload, content_type))


def probe_upload(prober: Prober) -> None:
    """A file upload whose name climbs out of any directory, and whose content is not a CSV."""
    for filename in PATH_TRAVERSAL:
        upload, content_type = multipart_upload(filename, b"\x00\xff\xfe not,a\ncsv\x00")
        sent = prober.send(
            f"file named {filename!r}", params={}, content=upload, content_type=content_type
        )
        prober.expect_refused(sent)


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_hostile_input_is_refused_cleanly(
    operation: Operation,
    pool: ThreadPoolExecutor,
    gateway: httpx.Client,
    known_ids: dict[str, str],
    merged_spec: dict[str, Any],
) -> None:
    assert operation.method in merged_spec["paths"].get(operation.path, {}), (
        f"the gateway does not serve {operation.label}"
    )
    prober = Prober(gateway=gateway, operation=operation, known_ids=known_ids, pool=pool)
    before = stored(prober)
    probe_path(prober)
    probe_query(prober)
    if operation.takes_json:
        probe_body(prober)
    if operation.open311 and operation.method == "post":
        probe_open311_form(prober)
    elif operation.takes_upload:
        probe_upload(prober)
    prober.finish()
    after = stored(prober)
    if before != after:
        added = sorted(set(after or []) - set(before or []))
        prober.failures.append(f"refused writes stored something: {added[:5]}")
    assert not prober.failures, "\n".join(prober.failures)
