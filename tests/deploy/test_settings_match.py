"""The manifests set exactly the variables the code reads: no typo goes unnoticed, and no
setting a production process needs is missing."""

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from usmdev.catalog import DATABASE_SPECS, ServiceSpec

ROOT = Path(__file__).resolve().parents[2]
K8S_BASE = ROOT / "deploy" / "k8s" / "base"
# Needed by every process wherever it runs.
ALWAYS = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "INTERNAL_JWT_SECRET")
# Secrets that production may leave unset because what uses them is refused there.
UNUSED_IN_PRODUCTION = {"USM_GATEWAY_DEV_ISSUER_SECRET"}
# Not secrets, but their defaults are only right on a laptop: the Open311 discovery document
# would name 127.0.0.1, and every deployment would claim the same node id among its peers.
DEPLOYMENT_SPECIFIC = {"USM_REPORTS_PUBLIC_BASE_URL", "USM_NETWORK_NODE_ID"}


def settings_class(spec: ServiceSpec) -> Any:
    module, _, name = spec.settings_class.partition(":")
    return getattr(importlib.import_module(module), name)


def known(spec: ServiceSpec) -> set[str]:
    return {spec.env_prefix + field.upper() for field in settings_class(spec).model_fields}


def secrets(spec: ServiceSpec) -> set[str]:
    fields = settings_class(spec).model_fields.items()
    names = {spec.env_prefix + name.upper() for name, f in fields if f.annotation is SecretStr}
    return names - UNUSED_IN_PRODUCTION


def needed_in_production(spec: ServiceSpec) -> set[str]:
    """What a production pod of this process must be given (the rest may keep its default)."""
    always = {spec.env_prefix + name for name in (*ALWAYS, "ENVIRONMENT")}
    return always | secrets(spec) | (known(spec) & DEPLOYMENT_SPECIFIC)


def k8s_env(spec: ServiceSpec) -> set[str]:
    names: set[str] = set()
    for doc in yaml.safe_load_all((K8S_BASE / spec.name / "env.yaml").read_text()):
        if doc and doc.get("kind") == "Deployment":
            for container in doc["spec"]["template"]["spec"]["containers"]:
                names |= {var["name"] for var in container.get("env", [])}
    kustomization = yaml.safe_load((K8S_BASE / spec.name / "kustomization.yaml").read_text())
    for generator in kustomization.get("configMapGenerator", []):
        names |= {literal.split("=", 1)[0] for literal in generator.get("literals", [])}
    return {name for name in names if name.startswith(spec.env_prefix)}


def compose_env(service: str, prefix: str) -> set[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"][service].get("environment", {})
    names = environment if isinstance(environment, dict) else [e.split("=")[0] for e in environment]
    return {name for name in names if name.startswith(prefix)}


@pytest.mark.parametrize("spec", DATABASE_SPECS, ids=lambda spec: spec.name)
def test_kubernetes_sets_only_known_settings_and_every_needed_one(spec: ServiceSpec) -> None:
    env = k8s_env(spec)
    assert env - known(spec) == set(), "unknown variables (typos?)"
    assert needed_in_production(spec) - env == set(), "production would start without these"


@pytest.mark.parametrize("spec", DATABASE_SPECS, ids=lambda spec: spec.name)
def test_compose_sets_only_known_settings_and_every_needed_one(spec: ServiceSpec) -> None:
    env = compose_env(spec.name, spec.env_prefix)
    assert env - known(spec) == set(), "unknown variables (typos?)"
    assert {spec.env_prefix + name for name in ALWAYS} - env == set()


def test_the_compose_migration_step_reaches_every_database() -> None:
    for spec in DATABASE_SPECS:
        assert f"{spec.env_prefix}DATABASE_URL" in compose_env("migrate", spec.env_prefix)
