from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from usm_gateway.config import GatewaySettings
from usm_gateway.identity import mint_dev_token
from usmdev.broker import EmbeddedBroker
from usmdev.postgres import EmbeddedPostgres
from usmdev.stack import Stack, StackLayout

Bearer = Callable[[list[str], list[str]], dict[str, str]]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The walking skeleton runs first of this folder: it asserts a fresh stack (durban's
    first registration, the only knowledge item), which the journeys' demo data would change.
    Other folders' tests keep their places (the stack starts when this folder's turn comes)."""
    here = Path(__file__).parent
    slots = [index for index, item in enumerate(items) if item.path.parent == here]
    ordered = sorted(
        (items[index] for index in slots),
        key=lambda item: item.path.name != "test_walking_skeleton.py",
    )
    for index, item in zip(slots, ordered, strict=True):
        items[index] = item


@pytest.fixture(scope="session")
def usm_stack(
    usm_base_dir: Path, usm_postgres: EmbeddedPostgres, usm_broker: EmbeddedBroker
) -> Iterator[Stack]:
    """`make run`'s processes (four services and the gateway) on the session's servers."""
    stack = Stack(
        StackLayout.on_free_ports(usm_base_dir / "stack"), postgres=usm_postgres, broker=usm_broker
    )
    with stack.running():
        yield stack


@pytest.fixture(scope="session")
def bearer() -> Bearer:
    """`bearer(roles, cities)`: the Authorization header of a dev token for that person."""
    secret = GatewaySettings().dev_issuer_secret.get_secret_value()

    def header(roles: list[str], cities: list[str]) -> dict[str, str]:
        token = mint_dev_token(secret=secret, subject=f"e2e-{roles[0]}", roles=roles, cities=cities)
        return {"Authorization": f"Bearer {token}"}

    return header


@pytest.fixture
async def gateway(usm_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=usm_stack.layout.gateway_url, timeout=30) as client:
        yield client
