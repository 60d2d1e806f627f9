"""Rendering of the kustomize trees, shared by the manifest, schema and security-scan tests.

Rendering needs `kubectl` (its built-in kustomize); without it every test that asks for a
rendered tree is skipped, and says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBECTL = shutil.which("kubectl")

Doc = dict[str, Any]
Render = Callable[[str], tuple[Doc, ...]]

# What an operator can apply: the platform, both overlays, and prod with the topics Job (the
# component for a Kafka without Strimzi's topic operator, in no overlay by default).
VARIANTS = ("platform", "overlays/dev", "overlays/prod", "overlays/prod+topics-job")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes `variant` runs once per renderable variant."""
    if "variant" in metafunc.fixturenames:
        metafunc.parametrize("variant", VARIANTS)


@cache
def _kustomize(directory: Path) -> str:
    assert KUBECTL is not None
    out = subprocess.run(
        [KUBECTL, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture(scope="session")
def variant_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The kustomization directory of each variant.

    `overlays/prod+topics-job` is what deploy/README.md tells an operator without Strimzi to do:
    the prod overlay with `components: [../../components/topics-job]` added.
    """
    composite = tmp_path_factory.mktemp("prod-topics-job")
    kustomization = yaml.safe_load((K8S / "overlays" / "prod" / "kustomization.yaml").read_text())
    # Kustomize refuses absolute roots but loads kustomization directories from anywhere.
    kustomization["resources"] = [
        os.path.relpath(K8S / "overlays" / "prod" / entry, composite)
        for entry in kustomization["resources"]
    ]
    kustomization["components"] = [os.path.relpath(K8S / "components" / "topics-job", composite)]
    (composite / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    dirs = {name: K8S / name for name in VARIANTS if "+" not in name}
    dirs["overlays/prod+topics-job"] = composite
    return dirs


@pytest.fixture(scope="session")
def render(variant_dirs: dict[str, Path]) -> Render:
    """`render("overlays/prod")`: the objects `kubectl kustomize` prints for a directory under
    deploy/k8s (or one of VARIANTS)."""
    if KUBECTL is None:
        pytest.skip("kubectl (kustomize) not on PATH: rendered manifests are not checked")

    def rendered(name: str) -> tuple[Doc, ...]:
        directory = variant_dirs.get(name, K8S / name)
        text = _kustomize(directory)
        return tuple(doc for doc in yaml.safe_load_all(text) if doc is not None)

    return rendered


@pytest.fixture(scope="session")
def rendered_variants(render: Render) -> dict[str, tuple[Doc, ...]]:
    """Every variant (VARIANTS), rendered."""
    return {name: render(name) for name in VARIANTS}


@pytest.fixture(scope="session")
def rendered_files(
    rendered_variants: dict[str, tuple[Doc, ...]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Every variant rendered into a file of its own (for tools that read files, like checkov)."""
    out = tmp_path_factory.mktemp("rendered")
    files: dict[str, Path] = {}
    for name, docs in rendered_variants.items():
        path = out / (name.replace("/", "-") + ".yaml")
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
        files[name] = path
    return files
