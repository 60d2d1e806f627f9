"""Every rendered object validates against the Kubernetes API schemas (kubernetes-validate).

The schemas are the ones bundled with kubernetes-validate (offline), in strict mode: a field the
API does not know (a typo, a field of a newer release) fails. Two pinned versions: the oldest
Kubernetes deploy/README.md supports, and the newest kubernetes-validate ships.

Custom resources (Strimzi, CloudNativePG) have no bundled schema, so kubernetes-validate cannot
check them: they are listed by kind below and checked against minimal structural rules instead
(the fields we rely on, their types and allowed values), never skipped silently.

`variant` is parametrized over every renderable variant (VARIANTS) by conftest.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import jsonschema
import kubernetes_validate  # type: ignore[import-untyped]  # ships no py.typed
import pytest
from kubernetes_validate import SchemaNotFoundError, ValidationError

Doc = dict[str, Any]
Render = Callable[[str], tuple[Doc, ...]]

# The floor is also written in deploy/README.md (prerequisites).
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
CLUSTER_LABEL = {
    "type": "object",
    "required": ["labels"],
    "properties": {
        "labels": {"type": "object", "required": ["strimzi.io/cluster"]},
    },
}


def crd_schema(spec: Doc, *, metadata: Doc | None = None) -> Doc:
    """A custom resource whose metadata has a DNS-label name and whose spec matches `spec`."""
    name = {"type": "object", "required": ["name"], "properties": {"name": {"pattern": DNS_LABEL}}}
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {"metadata": {"allOf": [name, metadata or {}]}, "spec": spec},
    }


def closed(required: list[str], properties: Doc) -> Doc:
    """An object with these fields only (the top-level fields of the CRD's spec)."""
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


STORAGE_SIZE = {"type": "string", "pattern": r"^[0-9]+(Mi|Gi|Ti)$"}

# (apiVersion, kind) -> minimal rules, from the Strimzi 0.45 and CloudNativePG 1.25 CRD references.
CUSTOM_RESOURCES: dict[tuple[str, str], Doc] = {
    ("kafka.strimzi.io/v1beta2", "Kafka"): crd_schema(
        closed(
            ["kafka"],
            {
                "kafka": {
                    "type": "object",
                    "required": ["listeners"],
                    "properties": {
                        "version": {"type": "string"},
                        "listeners": {
                            "type": "array",
                            "minItems": 1,
                            "items": closed(
                                ["name", "port", "type", "tls"],
                                {
                                    "name": {"type": "string", "pattern": r"^[a-z0-9]{1,11}$"},
                                    "port": {"type": "integer", "minimum": 9092},
                                    "type": {
                                        "enum": [
                                            "internal",
                                            "route",
                                            "loadbalancer",
                                            "nodeport",
                                            "ingress",
                                            "cluster-ip",
                                        ]
                                    },
                                    "tls": {"type": "boolean"},
                                    "authentication": {"type": "object"},
                                    "configuration": {"type": "object"},
                                    "networkPolicyPeers": {"type": "array"},
                                },
                            ),
                        },
                        "config": {"type": "object"},
                    },
                },
                "entityOperator": {"type": "object"},
                "clusterCa": {"type": "object"},
                "clientsCa": {"type": "object"},
                "cruiseControl": {"type": "object"},
                "kafkaExporter": {"type": "object"},
                "maintenanceTimeWindows": {"type": "array"},
            },
        )
    ),
    ("kafka.strimzi.io/v1beta2", "KafkaNodePool"): crd_schema(
        closed(
            ["replicas", "roles", "storage"],
            {
                "replicas": {"type": "integer", "minimum": 1},
                "roles": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"enum": ["controller", "broker"]},
                },
                "storage": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {
                        "type": {"enum": ["ephemeral", "persistent-claim", "jbod"]},
                        "volumes": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "type"],
                                "properties": {"size": STORAGE_SIZE},
                            },
                        },
                    },
                },
                "resources": {"type": "object"},
                "jvmOptions": {"type": "object"},
                "template": {"type": "object"},
            },
        ),
        metadata=CLUSTER_LABEL,
    ),
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"): crd_schema(
        closed(
            ["partitions", "replicas"],
            {
                "topicName": {"type": "string", "pattern": r"^[a-zA-Z0-9._-]{1,249}$"},
                "partitions": {"type": "integer", "minimum": 1},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 32767},
                "config": {"type": "object"},
            },
        ),
        metadata=CLUSTER_LABEL,
    ),
    ("postgresql.cnpg.io/v1", "Cluster"): crd_schema(
        {
            "type": "object",
            "required": ["instances", "storage"],
            "properties": {
                "instances": {"type": "integer", "minimum": 1},
                "imageName": {"type": "string"},
                "enableSuperuserAccess": {"type": "boolean"},
                "primaryUpdateStrategy": {"enum": ["unsupervised", "supervised"]},
                "storage": {
                    "type": "object",
                    "required": ["size"],
                    "properties": {"size": STORAGE_SIZE},
                },
                "resources": {"type": "object"},
                "managed": {
                    "type": "object",
                    "properties": {
                        "roles": {
                            "type": "array",
                            "items": closed(
                                ["name"],
                                {
                                    "name": {"type": "string"},
                                    "ensure": {"enum": ["present", "absent"]},
                                    "login": {"type": "boolean"},
                                    "passwordSecret": closed(
                                        ["name"], {"name": {"type": "string"}}
                                    ),
                                },
                            ),
                        }
                    },
                },
            },
        }
    ),
    ("postgresql.cnpg.io/v1", "Database"): crd_schema(
        closed(
            ["name", "owner", "cluster"],
            {
                "name": {"type": "string"},
                "owner": {"type": "string"},
                "ensure": {"enum": ["present", "absent"]},
                "cluster": closed(["name"], {"name": {"type": "string"}}),
            },
        )
    ),
}


def is_custom(doc: Doc) -> bool:
    return (doc["apiVersion"], doc["kind"]) in CUSTOM_RESOURCES


def label(doc: Doc) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def distinct_objects(variants: dict[str, tuple[Doc, ...]]) -> dict[str, tuple[str, Doc]]:
    """Every object of every variant once (overlays share most of theirs), by its content."""
    found: dict[str, tuple[str, Doc]] = {}
    for variant, docs in variants.items():
        for doc in docs:
            found.setdefault(json.dumps(doc, sort_keys=True), (variant, doc))
    return found


# kubernetes-validate reads and parses its 1.4 MB definitions file on every call; the files never
# change during a run, so parse each once (a third of this module's time otherwise).
cached_schema_contents = cache(kubernetes_validate.utils.schema_contents)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_rendered_objects_match_the_kubernetes_schemas(
    rendered_variants: dict[str, tuple[Doc, ...]], version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kubernetes_validate.utils, "schema_contents", cached_schema_contents)
    failures: list[str] = []
    checked = 0
    for variant, doc in distinct_objects(rendered_variants).values():
        if is_custom(doc):
            continue  # no bundled schema: test_custom_resources_follow_their_rules checks them
        try:
            kubernetes_validate.validate(doc, version, strict=True)
            checked += 1
        except ValidationError as error:
            where = ".".join(str(part) for part in error.path)
            failures.append(f"{variant}: {label(doc)}: {where}: {error.message}")
        except SchemaNotFoundError as error:
            # Neither a Kubernetes kind nor a custom resource we know: add its rules above.
            failures.append(f"{variant}: {label(doc)}: {error.message}")
    assert failures == []
    assert checked > 0


def test_custom_resources_follow_their_rules(render: Render, variant: str) -> None:
    failures: list[str] = []
    for doc in render(variant):
        rules = CUSTOM_RESOURCES.get((doc["apiVersion"], doc["kind"]))
        if rules is None:
            continue
        validator = jsonschema.Draft202012Validator(rules)
        failures += [f"{label(doc)}: {error.message}" for error in validator.iter_errors(doc)]
    assert failures == []


def test_every_listed_custom_resource_is_rendered(render: Render) -> None:
    """No stale rules. (An unlisted custom kind fails the schema test: it has no schema.)"""
    used = {(doc["apiVersion"], doc["kind"]) for doc in render("platform") if is_custom(doc)}
    assert used == set(CUSTOM_RESOURCES)


def test_the_structural_rules_catch_a_broken_resource() -> None:
    """The rules are not vacuous: a topic without partitions, with a bad role name, fails."""
    topic = {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaTopic",
        "metadata": {"name": "Bad_Name", "labels": {}},
        "spec": {"replicas": 3, "partitionz": 12},
    }
    rules = CUSTOM_RESOURCES[("kafka.strimzi.io/v1beta2", "KafkaTopic")]
    messages = [
        error.message for error in jsonschema.Draft202012Validator(rules).iter_errors(topic)
    ]
    assert len(messages) >= 3, messages  # name pattern, missing label, missing/unknown fields
