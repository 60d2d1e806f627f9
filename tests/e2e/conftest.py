from collections.abc import Iterator
from pathlib import Path

import pytest

from usmdev.broker import EmbeddedBroker
from usmdev.postgres import EmbeddedPostgres
from usmdev.stack import Stack, StackLayout


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
