"""The processes of a USM deployment and where their code and migrations live."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from usmkit.events.topics import SERVICES


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int

    @property
    def package(self) -> str:
        return f"usm_{self.name}"

    @property
    def app_factory(self) -> str:
        return f"{self.package}.main:create_app"

    @property
    def settings_class(self) -> str:
        return f"{self.package}.config:{self.name.capitalize()}Settings"

    @property
    def env_prefix(self) -> str:
        return f"USM_{self.name.upper()}_"

    @property
    def database(self) -> str:
        return f"usm_{self.name}"

    @property
    def root(self) -> Path:
        """The service's folder (holds alembic.ini and migrations/)."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"package {self.package} is not installed")
        return Path(spec.origin).resolve().parents[2]


SERVICE_SPECS = tuple(ServiceSpec(name, 8001 + index) for index, name in enumerate(SERVICES))
GATEWAY_PORT = 8000
GATEWAY_SPEC = ServiceSpec("gateway", GATEWAY_PORT)
# Every process that owns a database and migrations.
DATABASE_SPECS = (*SERVICE_SPECS, GATEWAY_SPEC)
POSTGRES_PORT = 55432
KAFKA_PORT = 9092
