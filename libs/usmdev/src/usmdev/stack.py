"""The whole USM stack as local processes: what `make run` and the e2e tests start."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from alembic import command
from alembic.config import Config

from usmdev.broker import EmbeddedBroker, port_open
from usmdev.catalog import (
    DATABASE_SPECS,
    GATEWAY_PORT,
    GATEWAY_SPEC,
    KAFKA_PORT,
    POSTGRES_PORT,
    SERVICE_SPECS,
    ServiceSpec,
)
from usmdev.postgres import EmbeddedPostgres
from usmdev.waiting import wait_until

READY_TIMEOUT_S = 60
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class PortInUse(RuntimeError):
    pass


@dataclass
class StackLayout:
    """Where the stack keeps its data and which ports it uses."""

    base_dir: Path
    postgres_port: int = POSTGRES_PORT
    kafka_port: int = KAFKA_PORT
    gateway_port: int = GATEWAY_PORT
    service_ports: dict[str, int] = field(
        default_factory=lambda: {spec.name: spec.port for spec in SERVICE_SPECS}
    )

    @classmethod
    def on_free_ports(cls, base_dir: Path) -> StackLayout:
        return cls(
            base_dir=base_dir,
            postgres_port=free_port(),
            kafka_port=free_port(),
            gateway_port=free_port(),
            service_ports={spec.name: free_port() for spec in SERVICE_SPECS},
        )

    @property
    def state_file(self) -> Path:
        return self.base_dir / "stack.json"

    def all_ports(self) -> dict[str, int]:
        return {
            "postgres": self.postgres_port,
            "broker": self.kafka_port,
            "gateway": self.gateway_port,
            **self.service_ports,
        }

    def service_url(self, name: str) -> str:
        return f"http://{HOST}:{self.service_ports[name]}"

    @property
    def gateway_url(self) -> str:
        return f"http://{HOST}:{self.gateway_port}"


def migrate(spec: ServiceSpec, database_url: str) -> None:
    """Bring one service's database to the latest migration."""
    config = Config(str(spec.root / "alembic.ini"))
    config.attributes["database_url"] = database_url
    command.upgrade(config, "head")


class Stack:
    """Starts PostgreSQL, the broker, migrations, four services and the gateway."""

    def __init__(
        self,
        layout: StackLayout,
        *,
        postgres: EmbeddedPostgres | None = None,
        broker: EmbeddedBroker | None = None,
    ) -> None:
        """Share a running `postgres` and `broker` (tests), or own new ones."""
        self.layout = layout
        self.owns_infrastructure = postgres is None and broker is None
        self.postgres = postgres or EmbeddedPostgres(
            layout.base_dir / "pgdata", port=layout.postgres_port, host=HOST
        )
        self.broker = broker or EmbeddedBroker(
            port=layout.kafka_port, host=HOST, log_file=layout.base_dir / "logs" / "broker.log"
        )
        if not self.owns_infrastructure:
            layout.postgres_port, layout.kafka_port = self.postgres.port, self.broker.port
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def check_ports(self) -> None:
        ports = self.layout.all_ports()
        if not self.owns_infrastructure:
            ports = {
                name: port for name, port in ports.items() if name not in ("postgres", "broker")
            }
        busy = [f"{name} ({port})" for name, port in ports.items() if port_open(HOST, port)]
        if busy:
            raise PortInUse(
                "port(s) already in use: "
                + ", ".join(busy)
                + ". Is another stack running? `usm dev status` shows it, `usm dev down` stops it."
            )

    def start_infrastructure(self) -> None:
        self.check_ports()
        self.layout.base_dir.mkdir(parents=True, exist_ok=True)
        if self.owns_infrastructure:
            self.postgres.start()
            self.broker.start()
        self._write_state()
        for spec in DATABASE_SPECS:
            url = self.postgres.url(spec.database)
            asyncio.run(self.postgres.create_database(spec.database))
            migrate(spec, url)

    def service_env(self, spec: ServiceSpec) -> dict[str, str]:
        prefix = spec.env_prefix
        return {
            f"{prefix}DATABASE_URL": self.postgres.url(spec.database),
            f"{prefix}KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_servers,
        }

    def gateway_env(self) -> dict[str, str]:
        urls = {name: self.layout.service_url(name) for name in self.layout.service_ports}
        return {
            "USM_GATEWAY_SERVICE_URLS": json.dumps(urls),
            "USM_GATEWAY_DATABASE_URL": self.postgres.url(GATEWAY_SPEC.database),
            "USM_GATEWAY_KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_servers,
            "USM_GATEWAY_DEV_ISSUER_ENABLED": "true",
        }

    def start_process(self, name: str, app_factory: str, port: int, env: dict[str, str]) -> None:
        log_dir = self.layout.base_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        with (log_dir / f"{name}.log").open("ab") as output:
            self.processes[name] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    app_factory,
                    "--host",
                    HOST,
                    "--port",
                    str(port),
                    "--no-access-log",
                    "--timeout-graceful-shutdown",
                    "10",
                ],
                env={**os.environ, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._write_state()

    def start_services(self) -> None:
        for spec in SERVICE_SPECS:
            self.start_process(
                spec.name,
                spec.app_factory,
                self.layout.service_ports[spec.name],
                self.service_env(spec),
            )
        self.start_process(
            "gateway", "usm_gateway.main:create_app", self.layout.gateway_port, self.gateway_env()
        )
        self.wait_ready()

    def wait_ready(self) -> None:
        urls = {spec.name: self.layout.service_url(spec.name) for spec in SERVICE_SPECS}
        urls["gateway"] = self.layout.gateway_url
        for name, url in urls.items():
            wait_until(
                lambda name=name, url=url: self._ready(name, url),  # type: ignore[misc]
                timeout_s=READY_TIMEOUT_S,
                what=f"{name} at {url}/readyz",
            )

    def _ready(self, name: str, url: str) -> bool:
        process = self.processes.get(name)
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see its log")
        try:
            return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop_process(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self) -> None:
        for name in ["gateway", *reversed([spec.name for spec in SERVICE_SPECS])]:
            self.stop_process(name)
        if self.owns_infrastructure:
            self.broker.stop()
            self.postgres.stop()
        self.layout.state_file.unlink(missing_ok=True)

    def _write_state(self) -> None:
        pids = {name: process.pid for name, process in self.processes.items()}
        if self.broker.process is not None:
            pids["broker"] = self.broker.process.pid
        state = {
            "pids": pids,
            "ports": self.layout.all_ports(),
            "pgdata": str(self.postgres.data_dir),
        }
        self.layout.state_file.write_text(json.dumps(state, indent=2))

    @contextmanager
    def running(self) -> Iterator[Stack]:
        try:
            self.start_infrastructure()
            self.start_services()
            yield self
        finally:
            self.stop()
