"""Lanes (usmkit.lanes) in front of a FastAPI app, over HTTP in-process."""

import json

import httpx
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from usmkit.lanes import Lanes
from usmkit.problems import Conflict, install_problem_handlers


class Thing(BaseModel):
    name: str


async def fast_things(request: Request, body: bytes) -> Response | None:
    """Takes the things marked fast; refuses one name as the app's own routes would."""
    thing = json.loads(body)
    if thing.get("name") == "taken":
        raise Conflict("That name is taken.")
    if not thing.get("fast"):
        return None
    return JSONResponse({"name": thing["name"], "by": "lane"}, status_code=201)


def app_with_lane() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things", status_code=201)
    async def create_thing(thing: Thing) -> dict[str, str]:
        return {"name": thing.name, "by": "route"}

    @app.get("/things")
    async def list_things() -> list[str]:
        return []

    app.add_middleware(
        Lanes, lanes={("POST", "/things"): fast_things}, exception_handlers=app.exception_handlers
    )
    return app


async def test_a_lane_answers_its_requests_and_the_router_the_others_with_their_body() -> None:
    transport = httpx.ASGITransport(app=app_with_lane())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        fast = await client.post("/things", json={"name": "a", "fast": True})
        # The lane read the body; the route still gets all of it.
        slow = await client.post("/things", json={"name": "b" * 100_000})
        taken = await client.post("/things", json={"name": "taken", "fast": True})
        listed = await client.get("/things")
    assert (fast.status_code, fast.json()) == (201, {"name": "a", "by": "lane"})
    assert (slow.status_code, slow.json()) == (201, {"name": "b" * 100_000, "by": "route"})
    # Raised in the lane, answered by the app's handler as if raised in a route.
    assert taken.status_code == 409
    assert taken.headers["content-type"] == "application/problem+json"
    assert taken.json()["detail"] == "That name is taken."
    assert (listed.status_code, listed.json()) == (200, [])
