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

    documents["gateway"] = create_gateway().openapi()
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
