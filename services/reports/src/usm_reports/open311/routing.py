"""Open311 routes answer errors in Open311's shape, never as problem+json.

`Open311Route` refuses inputs holding control characters (a NUL would reach PostgreSQL,
which refuses it), then turns whatever a route or its dependencies raise (the kit's
problems, request validation, HTTP errors, values the database refuses) into an
`Open311Error` and re-raises it, so the request's transaction still rolls back;
`install_open311_errors` renders it in the format the path names.
"""

from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from usm_reports.reports.filters import CONTROL_CHARACTERS
from usmkit.db import is_data_exception
from usmkit.open311 import Open311Error, format_of_path, render_error
from usmkit.problems import ProblemError


def _holds_control_character(value: Any) -> bool:
    if isinstance(value, str):
        return CONTROL_CHARACTERS.search(value) is not None
    if isinstance(value, Mapping):
        return any(
            _holds_control_character(key) or _holds_control_character(item)
            for key, item in value.items()
        )
    if isinstance(value, list | tuple):
        return any(_holds_control_character(item) for item in value)
    return False


def refuse_control_characters(fields: Iterable[tuple[str, Any]]) -> None:
    """A 400 naming the first input (path, query or body field) that holds a control
    character; tabs and line breaks are text, not controls."""
    for name, value in fields:
        if _holds_control_character(name) or _holds_control_character(value):
            label = "A field name" if _holds_control_character(name) else name
            raise Open311Error(400, f"{label}: control characters are not accepted.")


def _describe_validation(exc: RequestValidationError) -> list[str]:
    descriptions = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        descriptions.append(f"{where}: {error.get('msg', 'invalid')}")
    return descriptions or ["The request is not valid."]


class Open311Route(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                refuse_control_characters(request.path_params.items())
                refuse_control_characters(request.query_params.multi_items())
                return await handle(request)
            except Open311Error:
                raise
            except ProblemError as exc:
                # Open311 has no 422: invalid input is a 400. Other statuses are kept.
                status = 400 if exc.status == 422 else exc.status
                descriptions = [
                    f"{'.'.join(str(part) for part in error.loc[1:])}: {error.msg}"
                    for error in exc.errors or []
                ]
                raise Open311Error(status, *(descriptions or [exc.detail or exc.title])) from exc
            except RequestValidationError as exc:
                raise Open311Error(400, *_describe_validation(exc)) from exc
            except HTTPException as exc:
                raise Open311Error(exc.status_code, str(exc.detail)) from exc
            except DBAPIError as exc:
                # Whatever validation let through: still Open311's 400, nothing stored.
                # Other database errors stay the kit's (503 when transient, else 500).
                if not is_data_exception(exc):
                    raise
                raise Open311Error(
                    400, "A value cannot be stored (for example a control character)."
                ) from exc

        return handler


def install_open311_errors(app: FastAPI) -> None:
    """Render `Open311Error` wherever it is raised (Open311 routes only raise it)."""

    async def on_open311_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Open311Error)
        return render_error(format_of_path(request.url.path), exc)

    app.add_exception_handler(Open311Error, on_open311_error)
