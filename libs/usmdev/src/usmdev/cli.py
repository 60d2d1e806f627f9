"""The `usm` command: run the stack, migrate, seed, mint dev tokens, manage API keys,
export contracts."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import uuid
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import BaseModel, ValidationError

from usmdev.catalog import DATABASE_SPECS, SERVICE_SPECS
from usmdev.stack import PortInUse, Stack, StackLayout, migrate

if TYPE_CHECKING:
    from usm_gateway.keys.schemas import ApiKeyRead

app = typer.Typer(help="USM developer commands.", no_args_is_help=True)
dev = typer.Typer(help="The local stack on embedded PostgreSQL and Tansu.", no_args_is_help=True)
contracts = typer.Typer(help="API and event contracts.", no_args_is_help=True)
app.add_typer(dev, name="dev")
sync = typer.Typer(help="City-to-city sync between deployments.", no_args_is_help=True)
app.add_typer(contracts, name="contracts")
app.add_typer(sync, name="sync")
keys = typer.Typer(
    help="API clients and keys, on the gateway's database (`USM_GATEWAY_DATABASE_URL`).",
    no_args_is_help=True,
)
app.add_typer(keys, name="keys")

DEFAULT_BASE = Path(".usm") / "dev"


def _layout(base_dir: Path) -> StackLayout:
    return StackLayout(base_dir=base_dir.resolve())


@dev.command("up")
def dev_up(base_dir: Annotated[Path, typer.Option(help="Data directory.")] = DEFAULT_BASE) -> None:
    """Start everything, load demo data, print the URLs; Ctrl-C stops it all."""
    from usmdev.seed import seed

    started = time.monotonic()
    stack = Stack(_layout(base_dir))
    try:
        stack.check_ports()
    except PortInUse as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    # Installed explicitly: a shell may start background jobs with SIGINT ignored.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        with stack.running():
            seeded = seed(stack.layout.gateway_url)
            layout = stack.layout
            typer.echo(
                f"\nUSM is up in {time.monotonic() - started:.1f}s "
                f"(demo cities: {', '.join(seeded)})"
            )
            typer.echo(f"  gateway     {layout.gateway_url}   (docs: {layout.gateway_url}/docs)")
            for spec in SERVICE_SPECS:
                typer.echo(f"  {spec.name:<11} {layout.service_url(spec.name)}")
            typer.echo(f"  postgres    postgresql://postgres@127.0.0.1:{layout.postgres_port}")
            typer.echo(f"  kafka       127.0.0.1:{layout.kafka_port}")
            typer.echo(f"  logs        {layout.base_dir / 'logs'}\nCtrl-C stops everything.")
            while True:
                for name, process in stack.processes.items():
                    if process.poll() is not None:
                        typer.secho(
                            f"{name} exited ({process.returncode}); stopping.",
                            fg=typer.colors.RED,
                            err=True,
                        )
                        raise typer.Exit(1)
                time.sleep(0.5)
    except KeyboardInterrupt:
        typer.echo("\nstopping…")


@dev.command("down")
def dev_down(base_dir: Annotated[Path, typer.Option()] = DEFAULT_BASE) -> None:
    """Stop a stack left running (e.g. after a killed terminal)."""
    layout = _layout(base_dir)
    if layout.state_file.exists():
        state = json.loads(layout.state_file.read_text())
        for name, pid in state.get("pids", {}).items():
            try:
                os.killpg(pid, signal.SIGTERM)
                typer.echo(f"stopped {name} ({pid})")
            except ProcessLookupError:
                pass
    stack = Stack(layout)
    if stack.postgres.initialized and stack.postgres.is_running():
        stack.postgres.stop()
        typer.echo("stopped postgres")
    layout.state_file.unlink(missing_ok=True)


@dev.command("status")
def dev_status(base_dir: Annotated[Path, typer.Option()] = DEFAULT_BASE) -> None:
    """Show which parts of the stack answer."""
    import httpx

    from usmdev.broker import port_open

    layout = _layout(base_dir)
    for name, port in layout.all_ports().items():
        state = "listening" if port_open("127.0.0.1", port) else "down"
        if state == "listening" and name not in ("postgres", "broker"):
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=3).status_code
                state = "ready" if ready == 200 else f"not ready ({ready})"
            except httpx.HTTPError:
                state = "not answering"
        typer.echo(f"{name:<11} 127.0.0.1:{port:<6} {state}")


@app.command("migrate")
def migrate_command(
    service: Annotated[list[str] | None, typer.Option(help="Only these services.")] = None,
) -> None:
    """Apply migrations to each service's database (URL from its settings)."""
    from pydantic_settings import BaseSettings, SettingsConfigDict

    for spec in DATABASE_SPECS:
        if service and spec.name not in service:
            continue

        class ServiceDatabase(BaseSettings):
            model_config = SettingsConfigDict(env_prefix=spec.env_prefix, extra="ignore")
            database_url: str = f"postgresql+asyncpg://postgres@127.0.0.1:55432/{spec.database}"

        migrate(spec, ServiceDatabase().database_url)
        typer.echo(f"{spec.name}: migrated")


@app.command("topics")
def topics_command(
    bootstrap_servers: Annotated[str, typer.Option(envvar="USM_KAFKA_BOOTSTRAP_SERVERS")] = (
        "127.0.0.1:9092"
    ),
    prefix: Annotated[str, typer.Option(envvar="USM_KAFKA_TOPIC_PREFIX")] = "",
) -> None:
    """Create the USM topics that are missing (for brokers that do not auto-create), keeping
    events 7 days (`retention.ms`), less than the services' inboxes remember them."""
    from usmdev.broker import create_topics
    from usmkit.events.topics import ALL_TOPICS

    created = asyncio.run(
        create_topics(bootstrap_servers, tuple(prefix + topic for topic in ALL_TOPICS))
    )
    typer.echo("created: " + (", ".join(created) or "nothing, all exist"))


@app.command("seed")
def seed_command(gateway: Annotated[str, typer.Option()] = "http://127.0.0.1:8000") -> None:
    """Load the demo data through the gateway (idempotent)."""
    from usmdev.seed import seed

    typer.echo("seeded: " + ", ".join(seed(gateway)))


@app.command("token")
def token_command(
    role: Annotated[list[str], typer.Option(help="Role(s), e.g. city_analyst.")],
    city: Annotated[list[str] | None, typer.Option(help="City slug(s); * for all.")] = None,
    subject: Annotated[str, typer.Option()] = "dev-user",
) -> None:
    """Mint a bearer token from the local dev issuer (the gateway must enable it)."""
    from usm_gateway.config import GatewaySettings
    from usm_gateway.identity import mint_dev_token

    secret = GatewaySettings().dev_issuer_secret.get_secret_value()
    try:
        typer.echo(mint_dev_token(secret=secret, subject=subject, roles=role, cities=city or []))
    except ValueError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc


@sync.command("run")
def sync_run(peer: Annotated[str, typer.Option(help="The peer's node id.")]) -> None:
    """Pull one peer's change feed now (the network service's settings: `USM_NETWORK_*`)."""
    from usm_network.sync.runner import sync_once
    from usmkit.problems import ProblemError

    try:
        code = asyncio.run(sync_once(peer))
    except ProblemError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    raise typer.Exit(code)


def _run_keys(command: Coroutine[Any, Any, BaseModel | list[ApiKeyRead]]) -> None:
    """Run a key command; print its result as JSON, or its problem and exit 2."""
    from usmkit.problems import ProblemError

    try:
        result = asyncio.run(command)
    except (ProblemError, ValidationError) as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    items = result if isinstance(result, list) else [result]
    for item in items:
        typer.echo(item.model_dump_json())


@keys.command("create-client")
def keys_create_client(
    name: Annotated[str, typer.Option(help="A portal or partner deployment.")],
    description: Annotated[str, typer.Option()] = "",
) -> None:
    """Register an API client."""
    from usm_gateway.keys import commands

    _run_keys(commands.create_client(name, description))


@keys.command("issue")
def keys_issue(
    client: Annotated[str, typer.Option(help="The client's name.")],
    scope: Annotated[list[str], typer.Option(help="Scope(s), e.g. public:read.")],
    city: Annotated[list[str], typer.Option(help="City slug(s); * for all.")],
    expires_at: Annotated[datetime | None, typer.Option(help="ISO 8601, with a zone.")] = None,
) -> None:
    """Issue a key; its secret is printed once, here."""
    from usm_gateway.keys import commands

    _run_keys(commands.issue_key(client, scope, city, expires_at))


@keys.command("list")
def keys_list() -> None:
    """Every key, without secrets, oldest first."""
    from usm_gateway.keys import commands

    _run_keys(commands.list_keys())


@keys.command("rotate")
def keys_rotate(key_id: uuid.UUID) -> None:
    """Replace a key by a new one with the same grants (printed once)."""
    from usm_gateway.keys import commands

    _run_keys(commands.rotate_key(key_id))


@keys.command("revoke")
def keys_revoke(key_id: uuid.UUID) -> None:
    """Revoke a key (at once on this replica; others within `API_KEY_CACHE_S`)."""
    from usm_gateway.keys import commands

    _run_keys(commands.revoke_key(key_id))


@contracts.command("export")
def contracts_export(
    out_dir: Annotated[Path, typer.Option()] = Path("contracts") / "openapi",
) -> None:
    """Write the OpenAPI documents and the AsyncAPI document into contracts/."""
    from usmdev.contracts import export_asyncapi, export_openapi

    for path in [*export_openapi(out_dir), export_asyncapi()]:
        typer.echo(f"wrote {path}")
