"""Open311 routes answer errors in Open311's shape, never as problem+json.

`Open311Route` turns whatever a route or its dependencies raise (the kit's problems, request
validation, HTTP errors) into an `Open311Error` and re-raises it, so the request's
transaction still rolls back; `install_open311_errors` renders it in the format the path
names.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.responses import Response

from usmkit.open311 import Open311Error, format_of_path, render_error
from usmkit.problems import ProblemError


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

        return handler


def install_open311_errors(app: FastAPI) -> None:
    """Render `Open311Error` wherever it is raised (Open311 routes only raise it)."""

    async def on_open311_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Open311Error)
        return render_error(format_of_path(request.url.path), exc)

    app.add_exception_handler(Open311Error, on_open311_error)
