import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text

from usm_reports.open311.routing import Open311Route, install_open311_errors
from usmdev.pytest_plugin import ServiceFactory
from usmkit.problems import install_problem_handlers


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_value_the_database_refuses_is_an_open311_400(
    usm_service: ServiceFactory, fmt: str
) -> None:
    """Whatever validation lets through and PostgreSQL refuses (SQLSTATE class 22) is still
    answered in Open311's shape, not as the kit's problem+json."""
    async with usm_service("reports") as reports:
        database = reports.runtime.database
        router = APIRouter(route_class=Open311Route)

        @router.get("/open311/v2/refused.{fmt}")
        async def refused(fmt: str) -> None:
            async with database.transaction() as session:
                # The route checks inputs, not what it writes itself: a NUL reaches the query.
                await session.execute(text("SELECT CAST(:value AS text)"), {"value": "a\x00b"})

        app = FastAPI()
        app.include_router(router)
        install_problem_handlers(app)
        install_open311_errors(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get(f"/open311/v2/refused.{fmt}")
        assert response.status_code == 400
        assert "problem" not in response.headers["content-type"]
        assert b"cannot be stored" in response.content
        assert response.headers["content-type"].startswith(
            "application/json" if fmt == "json" else "text/xml"
        )
