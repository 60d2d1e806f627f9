"""Request ids, JSON logs and Prometheus metrics."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_KEY = REQUEST_ID_HEADER.encode()
_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

HTTP_REQUESTS = Counter(
    "usm_http_requests_total", "HTTP requests handled", ["service", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "usm_http_request_duration_seconds", "HTTP request duration", ["service", "method"]
)
EVENTS_PUBLISHED = Counter("usm_events_published_total", "Outbox events published", ["service"])
EVENTS_CONSUMED = Counter(
    "usm_events_consumed_total", "Events handled by consumers", ["service", "type"]
)
EVENTS_DEAD_LETTERED = Counter(
    "usm_events_dead_lettered_total", "Events sent to the dead-letter topic", ["service"]
)
# How late events are, where operators can alert on it (the relay and the consumers log only
# failures): both are per process, so take the largest across a service's replicas.
OUTBOX_OLDEST_WAITING = Gauge(
    "usm_outbox_oldest_waiting_seconds",
    "Age of the first event waiting in the outbox at the relay's last look (0: none waiting)",
    ["service"],
)
CONSUMER_LAG = Gauge(
    "usm_consumer_lag_events",
    "Events on the consumer's partitions not yet handled, as of its last fetch",
    ["service"],
)


_STANDARD_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in record.__dict__.items():
            if name not in _STANDARD_RECORD_FIELDS and not name.startswith("_"):
                entry[name] = value
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # One line per upstream call would double the gateway's log volume; errors still surface.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))


def incoming_request_id(value: str | None) -> str:
    """Keep a well-formed caller id so a trace spans hops; otherwise make one."""
    if value and _REQUEST_ID_PATTERN.match(value):
        return value
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Sets the request id, echoes it back, and counts and times each request."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service
        self._children: dict[tuple[str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Straight from the raw headers: no Request and Headers built on every call.
        given = next((value for name, value in scope["headers"] if name == _REQUEST_ID_KEY), None)
        request_id = incoming_request_id(None if given is None else given.decode("latin-1"))
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            counted, timed = self._metrics(scope["method"], status)
            counted.inc()
            timed.observe(time.perf_counter() - started)
            request_id_var.reset(token)

    def _metrics(self, method: str, status: int) -> tuple[Counter, Histogram]:
        """The labelled counter and histogram of this method and status, looked up once."""
        found = self._children.get((method, status))
        if found is None:
            found = (
                HTTP_REQUESTS.labels(self.service, method, str(status)),
                HTTP_LATENCY.labels(self.service, method),
            )
            self._children[(method, status)] = found
        return found


def metrics_response() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
