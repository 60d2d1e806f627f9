"""Optimistic concurrency: versioned records answer with an `ETag`; changes send `If-Match`."""

from __future__ import annotations

from typing import Any

from usmkit.problems import PreconditionFailed, PreconditionRequired


def etag_header(what: str) -> dict[str, Any]:
    """The OpenAPI `headers` entry for a response carrying the `what`'s ETag."""
    return {
        "ETag": {
            "description": f'The {what}\'s version: `"<version>"`.',
            "schema": {"type": "string"},
        }
    }


ETAG_HEADER = etag_header("record")


def etag_for(version: int) -> str:
    return f'"{version}"'


def if_match_allows(if_match: str, current_etag: str) -> bool:
    """RFC 9110 strong comparison: `*` or any listed tag equal to the current one."""
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or current_etag in tags


def require_if_match(if_match: str | None, version: int, what: str) -> None:
    """428 without `If-Match`, 412 (with the current ETag) when it is stale."""
    if if_match is None:
        raise PreconditionRequired(f"Send If-Match with the {what}'s ETag ({etag_for(version)}).")
    check_if_match(if_match, etag_for(version), what)


def check_if_match(if_match: str | None, current_etag: str, what: str) -> None:
    """For changes where `If-Match` is optional: 412 only when one is sent and is stale."""
    if if_match is not None and not if_match_allows(if_match, current_etag):
        raise PreconditionFailed(
            f"The {what} changed; its ETag is now {current_etag}.",
            headers={"ETag": current_etag},
        )
