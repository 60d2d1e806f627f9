"""`usm keys ...` as an operator runs it: a real process on the gateway's real database."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from usmdev.pytest_plugin import DatabaseFactory, GatewayFactory

USM = str(Path(sys.executable).parent / "usm")


async def usm_keys(database_url: str, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    environment = {**os.environ, "USM_GATEWAY_DATABASE_URL": database_url}
    done = await asyncio.to_thread(
        subprocess.run,
        [USM, "keys", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, lines, done.stderr


async def test_an_operator_bootstraps_and_manages_keys_from_the_shell(
    usm_database: DatabaseFactory, upstream: str, usm_gateway: GatewayFactory
) -> None:
    async with usm_database("gateway") as url:
        code, created, _ = await usm_keys(url, "create-client", "--name", "ops")
        assert code == 0 and created[0]["name"] == "ops"
        code, issued, _ = await usm_keys(
            url, "issue", "--client", "ops", "--scope", "platform:admin", "--city", "*"
        )
        assert code == 0 and issued[0]["key"].startswith("usm_")
        code, rotated, _ = await usm_keys(url, "rotate", issued[0]["id"])
        assert code == 0 and rotated[0]["key"] != issued[0]["key"]
        code, listed, _ = await usm_keys(url, "list")
        assert [(key["id"], key["revoked_at"] is not None) for key in listed] == [
            (issued[0]["id"], True),  # rotated away
            (rotated[0]["id"], False),
        ]
        assert all("key" not in key for key in listed)
        code, revoked, _ = await usm_keys(url, "revoke", rotated[0]["id"])
        assert code == 0 and revoked[0]["revoked_at"] is not None
        # Bad input: a clear message and exit status 2, nothing stored.
        unknown_client, _, message = await usm_keys(
            url, "issue", "--client", "nobody", "--scope", "public:read", "--city", "durban"
        )
        bad_scope, _, scope_message = await usm_keys(
            url, "issue", "--client", "ops", "--scope", "root:all", "--city", "durban"
        )
        _, after, _ = await usm_keys(url, "list")
    assert (unknown_client, bad_scope) == (2, 2)
    assert "nobody" in message and "root:all" in scope_message
    assert len(after) == 2


async def test_a_key_issued_from_the_shell_works_at_the_gateway(
    usm_database: DatabaseFactory, upstream: str, usm_gateway: GatewayFactory
) -> None:
    async with usm_database("gateway") as url:
        await usm_keys(url, "create-client", "--name", "ops")
        _, issued, _ = await usm_keys(
            url, "issue", "--client", "ops", "--scope", "platform:admin", "--city", "*"
        )
        async with usm_gateway({"reports": upstream}, database_url=url) as client:
            clients = await client.get(
                "/api/v1/admin/clients", headers={"X-API-Key": issued[0]["key"]}
            )
    assert clients.status_code == 200, clients.text
    assert [item["name"] for item in clients.json()["items"]] == ["ops"]
