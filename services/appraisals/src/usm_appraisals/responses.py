"""OpenAPI helpers shared by this service's routers."""

from typing import Any

from usmkit.problems import PROBLEM_MEDIA_TYPE, Problem

ETAG_HEADER = {
    "ETag": {"description": 'The record\'s version: `"<version>"`.', "schema": {"type": "string"}}
}
IF_MATCH_PROBLEMS = ((412, "The If-Match ETag is stale"), (428, "If-Match is missing"))


def problems(*statuses: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route answers beyond the router's defaults."""
    return {
        code: {
            "description": title,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": Problem.model_json_schema()}},
        }
        for code, title in statuses
    }
