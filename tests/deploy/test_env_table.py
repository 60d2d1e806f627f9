"""The environment-variable table of deploy/README.md lists exactly what the code reads.

Names come from the settings classes (every field of each process's settings, under its prefix)
plus the few variables read outside them (EXTRA). For each settings variable the table's default,
secret and required-in-production columns must agree with the class (defaults are compared for
plain values; a secret's default is "development value"; structured defaults are prose).
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from usmdev.catalog import DATABASE_SPECS, ServiceSpec

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "deploy" / "README.md"
ALL_PROCESSES = "all five"
# Rows written once for every process: `USM_<P>_` is each prefix, `<p>` each name.
PER_PROCESS = "USM_<P>_"
# Needed by every process wherever it runs, plus every secret (test_settings_match.py agrees).
ALWAYS_REQUIRED = {"ENVIRONMENT", "DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "INTERNAL_JWT_SECRET"}
NOT_REQUIRED_SECRETS = {"USM_GATEWAY_DEV_ISSUER_SECRET"}  # the dev issuer is refused in production
DEPLOYMENT_SPECIFIC = {"USM_REPORTS_PUBLIC_BASE_URL", "USM_NETWORK_NODE_ID"}
# Read outside the settings classes: name -> (file that reads it, text there that shows it).
EXTRA = {
    "USM_SERVICE": ("deploy/docker/entrypoint.sh", "${USM_SERVICE"),
    "USM_PORT": ("deploy/docker/entrypoint.sh", "${USM_PORT:-8000}"),
    "USM_CONTRACTS_DIR": (
        "libs/usmkit/src/usmkit/events/cloudevents.py",
        'os.environ.get("USM_CONTRACTS_DIR")',
    ),
    "USM_KAFKA_BOOTSTRAP_SERVERS": (
        "libs/usmdev/src/usmdev/cli.py",
        'envvar="USM_KAFKA_BOOTSTRAP_SERVERS"',
    ),
    "USM_KAFKA_TOPIC_PREFIX": ("libs/usmdev/src/usmdev/cli.py", 'envvar="USM_KAFKA_TOPIC_PREFIX"'),
}


@dataclass(frozen=True)
class Row:
    name: str
    read_by: str
    default: str
    required: str
    secret: str
    meaning: str


def table() -> dict[str, Row]:
    """The rows of the README's table, one per process for the `USM_<P>_` rows."""
    rows: dict[str, Row] = {}
    for line in README.read_text().splitlines():
        if not line.startswith("| `USM_"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 6, f"a row needs 6 cells: {line}"
        row = Row(cells[0].strip("`"), *cells[1:])
        names = (
            [(row.name.replace(PER_PROCESS, spec.env_prefix), spec) for spec in DATABASE_SPECS]
            if row.name.startswith(PER_PROCESS)
            else [(row.name, None)]
        )
        for name, spec in names:
            assert name not in rows, f"{name} is listed twice"
            default = row.default.replace("<p>", spec.name) if spec else row.default
            rows[name] = Row(name, row.read_by, default, row.required, row.secret, row.meaning)
    return rows


def settings_class(spec: ServiceSpec) -> Any:
    module, _, name = spec.settings_class.partition(":")
    return getattr(importlib.import_module(module), name)


def settings_fields() -> dict[str, tuple[ServiceSpec, FieldInfo]]:
    return {
        spec.env_prefix + name.upper(): (spec, field)
        for spec in DATABASE_SPECS
        for name, field in settings_class(spec).model_fields.items()
    }


def shown(value: object) -> str | None:
    """How the table writes a plain default; None for structured ones (described in prose)."""
    if isinstance(value, bool):
        return f"`{json.dumps(value)}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    if isinstance(value, int):
        return f"`{value}`"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    return None


def expected_required(name: str, field: FieldInfo, spec: ServiceSpec) -> bool:
    short = name.removeprefix(spec.env_prefix)
    is_secret = field.annotation is SecretStr and name not in NOT_REQUIRED_SECRETS
    return short in ALWAYS_REQUIRED or is_secret or name in DEPLOYMENT_SPECIFIC


def test_the_table_lists_exactly_what_the_code_reads() -> None:
    listed = set(table())
    read = set(settings_fields()) | set(EXTRA)
    assert read - listed == set(), "add these rows to the table in deploy/README.md"
    assert listed - read == set(), "the code reads none of these: remove or rename the rows"


@pytest.mark.parametrize("name", sorted(EXTRA))
def test_variables_read_outside_the_settings_are_still_read_there(name: str) -> None:
    path, evidence = EXTRA[name]
    assert evidence in (ROOT / path).read_text(), f"{path} no longer reads {name}"


def test_the_table_agrees_with_the_settings_classes() -> None:
    rows = table()
    problems: list[str] = []
    for name, (spec, field) in settings_fields().items():
        row = rows.get(name)
        if row is None:
            continue  # reported by test_the_table_lists_exactly_what_the_code_reads
        is_secret = field.annotation is SecretStr
        if row.secret != ("yes" if is_secret else "no"):
            problems.append(f"{name}: secret should be {'yes' if is_secret else 'no'}")
        required = "yes" if expected_required(name, field, spec) else "no"
        if row.required != required:
            problems.append(f"{name}: required in production should be {required}")
        if is_secret:
            expected: str | None = "development value"
        else:
            expected = shown(field.get_default(call_default_factory=True))
        if expected is not None and row.default != expected:
            problems.append(f"{name}: default should be {expected}, the table says {row.default}")
        per_process = row.read_by == ALL_PROCESSES
        if not per_process and row.read_by != spec.name:
            problems.append(f"{name}: read by {spec.name}, the table says {row.read_by}")
    assert problems == []


def test_every_row_explains_itself() -> None:
    assert all(re.search(r"\w{3}", row.meaning) for row in table().values())
