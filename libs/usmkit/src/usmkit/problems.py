"""RFC 9457 problem details: exception classes carrying a status, and their handlers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from usmkit.db import TRANSIENT_ERRORS, is_data_exception, is_transient, sqlstate_of

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://usm.example.org/problems/"

logger = logging.getLogger(__name__)

RETRY_AFTER_UNAVAILABLE_S = 2


class FieldError(BaseModel):
    """One invalid input: where it is (`loc`), what is wrong (`msg`) and a stable code."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Raise to answer with problem+json; subclasses fix the status and title."""

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    def to_problem(self, instance: str | None = None) -> Problem:
        return Problem(
            type=PROBLEM_TYPE_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
        )


class BadRequest(ProblemError):
    pass


class Unauthorized(ProblemError):
    status, title, slug = 401, "Authentication required", "unauthorized"


class Forbidden(ProblemError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(ProblemError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(ProblemError):
    status, title, slug = 409, "Conflict", "conflict"


class PreconditionFailed(ProblemError):
    status, title, slug = 412, "Precondition failed", "precondition-failed"


class PreconditionRequired(ProblemError):
    """RFC 6585: the change needs `If-Match`, so lost updates cannot happen silently."""

    status, title, slug = 428, "Precondition required", "precondition-required"


class PayloadTooLarge(ProblemError):
    status, title, slug = 413, "Payload too large", "payload-too-large"


class UnprocessableContent(ProblemError):
    status, title, slug = 422, "Validation failed", "validation"


class ServiceUnavailable(ProblemError):
    status, title, slug = 503, "Service unavailable", "service-unavailable"


class GatewayTimeout(ProblemError):
    status, title, slug = 504, "Gateway timeout", "gateway-timeout"


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _validation_errors(raw: list[Any]) -> list[FieldError]:
    return [
        FieldError(
            loc=[part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            msg=str(error.get("msg", "invalid")),
            type=str(error.get("type", "invalid")),
        )
        for error in raw
    ]


_STATUS_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
}


ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]


def exception_handler_for(handlers: Mapping[Any, Any], exc: Exception) -> ExceptionHandler | None:
    """The app's handler for `exc`, looked up along its classes as Starlette does, for the
    plain ASGI layers that answer in front of the router (the gateway's proxy, the lanes);
    USM's handlers are all coroutines."""
    for cls in type(exc).__mro__:
        handler: ExceptionHandler | None = handlers.get(cls)
        if handler is not None:
            return handler
    return None


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error, including framework ones, as problem+json."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(exc.to_problem(request.url.path), exc.headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problem = UnprocessableContent(
            "The request did not validate; see errors.",
            errors=_validation_errors(list(exc.errors())),
        ).to_problem(request.url.path)
        return problem_response(problem)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        slug, title = _STATUS_SLUGS.get(exc.status_code, ("error", "Error"))
        problem = Problem(
            type=PROBLEM_TYPE_BASE + slug,
            title=title,
            status=exc.status_code,
            detail=str(exc.detail),
            instance=request.url.path,
        )
        return problem_response(problem, dict(exc.headers or {}))

    async def on_unavailable(request: Request, exc: Exception) -> JSONResponse:
        logger.warning("backing service unavailable: %s", type(exc).__name__, exc_info=exc)
        problem = ServiceUnavailable(
            "A backing service is unavailable; try again shortly. Nothing was changed."
        ).to_problem(request.url.path)
        return problem_response(problem, {"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)})

    async def on_database_refusal(request: Request, exc: Exception) -> JSONResponse:
        if is_transient(exc):
            return await on_unavailable(request, exc)
        # The input's fault: 422, and nothing stored.
        if is_data_exception(exc):
            problem = UnprocessableContent(
                "A value cannot be stored (for example a NUL character or a number out of "
                f"range; SQLSTATE {sqlstate_of(exc)}). Nothing was changed."
            ).to_problem(request.url.path)
            return problem_response(problem)
        return await on_unexpected(request, exc)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        if is_transient(exc):
            return await on_unavailable(request, exc)
        logger.exception("unhandled error", extra={"path": request.url.path})
        problem = Problem(
            type=PROBLEM_TYPE_BASE + "internal",
            title="Internal error",
            status=500,
            detail="An unexpected error occurred; it has been logged.",
            instance=request.url.path,
        )
        return problem_response(problem)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    for transient in TRANSIENT_ERRORS:
        app.add_exception_handler(transient, on_unavailable)
    app.add_exception_handler(DBAPIError, on_database_refusal)
    app.add_exception_handler(Exception, on_unexpected)


def problem_responses(*statuses: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problems a route (or router) answers."""
    return {
        status: {
            "description": title,
            # `model` registers Problem in components; the content says what is really sent.
            "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status, title in statuses
    }


PROBLEM_RESPONSES = problem_responses(
    (400, "Bad request"),
    (401, "Authentication required"),
    (403, "Forbidden"),
    (422, "Validation failed"),
)
NOT_FOUND = (404, "Not found")
CONFLICT = (409, "Conflict")
STALE = (412, "The If-Match ETag is stale")
IF_MATCH_MISSING = (428, "If-Match is missing")


def problem_openapi(app: FastAPI) -> None:
    """Make the OpenAPI tell the truth about errors: they are problem+json, never the
    framework's default `HTTPValidationError` bodies."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    is_default_422 = status == "422" and "HTTPValidationError" in str(content)
                    if is_default_422 or PROBLEM_MEDIA_TYPE in content:
                        response["content"] = {PROBLEM_MEDIA_TYPE: problem}
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        definitions = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in definitions.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components.setdefault("Problem", definitions)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


IF_MATCH_PROBLEMS = (STALE, IF_MATCH_MISSING)
