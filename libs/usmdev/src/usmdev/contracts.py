"""OpenAPI documents exported from code; a test compares them with contracts/openapi/."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from usmdev.catalog import SERVICE_SPECS


def openapi_documents() -> dict[str, dict[str, Any]]:
    documents: dict[str, dict[str, Any]] = {}
    for spec in SERVICE_SPECS:
        module = importlib.import_module(f"{spec.package}.main")
        documents[spec.name] = module.create_app().openapi()
    from usm_gateway.main import create_app as create_gateway
    from usm_gateway.openapi import merge_specs

    # What the gateway serves at /openapi.json: its own routes and every service's.
    documents["gateway"] = merge_specs(create_gateway().openapi(), documents)
    return documents


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_openapi(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in openapi_documents().items():
        path = out_dir / f"{name}.json"
        path.write_text(render(document))
        written.append(path)
    return written


def asyncapi_document() -> dict[str, Any]:
    """AsyncAPI 3 for every topic, derived from the schemas and the services' subscriptions."""
    from usmkit.events.cloudevents import CONTENT_TYPE, SchemaRegistry, default_contracts_dir
    from usmkit.events.topics import DEAD_LETTER_TOPIC, SERVICES, topic_for

    contracts_dir = default_contracts_dir()
    types = SchemaRegistry(contracts_dir).known_types()
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for service in SERVICES:
        produced = [t for t in types if t.startswith(f"org.usm.{service}.")]
        channel = topic_for(service)
        channels[channel] = {
            "address": channel,
            "description": f"Events produced by the {service} service; key = city slug.",
            "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in produced},
        }
        if produced:
            operations[f"{service}-publishes"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{channel}"},
                "messages": [{"$ref": f"#/channels/{channel}/messages/{t}"} for t in produced],
            }
        for t in produced:
            schema_file = f"./schemas/{t}.json"
            example = json.loads((contracts_dir / "events" / "examples" / f"{t}.json").read_text())
            messages[t] = {
                "name": t,
                "title": t.removeprefix("org.usm.").rsplit(".", 1)[0],
                "contentType": CONTENT_TYPE,
                "payload": {
                    "allOf": [
                        {"$ref": "#/components/schemas/CloudEvent"},
                        {
                            "type": "object",
                            "properties": {"type": {"const": t}, "data": {"$ref": schema_file}},
                        },
                    ]
                },
                "examples": [{"name": "example", "payload": example}],
            }
    for spec in SERVICE_SPECS:
        subscription = importlib.import_module(f"{spec.package}.events.handlers").SUBSCRIPTION
        for topic in subscription.topics:
            consumed = sorted(t for t in subscription.handlers if t in messages)
            operations[f"{spec.name}-consumes-{topic}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{topic}"},
                "summary": f"Consumer group `{spec.name}`.",
                "messages": [
                    {"$ref": f"#/channels/{topic}/messages/{t}"}
                    for t in consumed
                    if t.startswith("org.usm." + topic.split(".")[1] + ".")
                ],
            }
    channels[DEAD_LETTER_TOPIC] = {
        "address": DEAD_LETTER_TOPIC,
        "description": (
            "Events a consumer could not apply, unchanged, with headers usm-dlq-reason, "
            "usm-dlq-consumer and usm-dlq-origin."
        ),
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "USM events",
            "version": "1.0.0",
            "description": (
                "CloudEvents 1.0 in structured mode, written through a transactional outbox. "
                "At-least-once delivery; consumers deduplicate by event id."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": {"CloudEvent": _cloudevent_schema()},
        },
    }


def _cloudevent_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": [
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "time",
            "datacontenttype",
            "dataschema",
            "city",
            "data",
        ],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "format": "uuid"},
            "source": {"type": "string", "pattern": "^/usm/[a-z]+$"},
            "type": {"type": "string", "pattern": r"^org\.usm\.[a-z]+\.[a-z_.]+\.v[0-9]+$"},
            "subject": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"type": "string", "format": "uri"},
            "city": {"type": "string", "description": "Extension: the city slug (also the key)."},
            "data": {"type": "object"},
        },
    }


def render_asyncapi() -> str:
    import yaml

    return yaml.safe_dump(asyncapi_document(), sort_keys=False, allow_unicode=True, width=100)


def export_asyncapi() -> Path:
    from usmkit.events.cloudevents import default_contracts_dir

    path = default_contracts_dir() / "events" / "asyncapi.yaml"
    path.write_text(render_asyncapi())
    return path
