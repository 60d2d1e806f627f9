"""ETags and `If-Match`: optimistic concurrency shared by every versioned record here."""

from usmkit.problems import PreconditionFailed, ProblemError


class PreconditionRequired(ProblemError):
    """RFC 6585: the change needs `If-Match`, so lost updates cannot happen silently."""

    status, title, slug = 428, "Precondition required", "precondition-required"


def etag_for(version: int) -> str:
    return f'"{version}"'


def if_match_allows(if_match: str, version: int) -> bool:
    """RFC 9110 strong comparison: `*` or any listed tag equal to the current one."""
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or etag_for(version) in tags


def require_if_match(if_match: str | None, version: int, what: str) -> None:
    """428 without `If-Match`, 412 (with the current ETag) when it is stale."""
    if if_match is None:
        raise PreconditionRequired(f"Send If-Match with the {what}'s ETag.")
    if not if_match_allows(if_match, version):
        raise PreconditionFailed(
            f"The {what} changed; its ETag is now {etag_for(version)}.",
            headers={"ETag": etag_for(version)},
        )
