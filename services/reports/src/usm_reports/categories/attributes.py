"""Answers to a category's Open311 attributes, checked against its definitions.

Native intake sends JSON values (numbers as numbers, lists as lists); Open311 form posts
send every value as text, so `from_text=True` reads numbers and lists from strings.
"""

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from usmkit.problems import FieldError

STRING_MAX_LENGTH = 500
TEXT_MAX_LENGTH = 4000


def _error(loc_prefix: Sequence[str | int], code: str, msg: str, type_: str) -> FieldError:
    return FieldError(loc=[*loc_prefix, code], msg=msg, type=type_)


def check_attributes(
    definitions: Sequence[Mapping[str, Any]],
    answers: Mapping[str, Any],
    *,
    loc_prefix: Sequence[str | int] = ("body", "attributes"),
    from_text: bool = False,
    require_answers: bool = True,
) -> tuple[dict[str, Any], list[FieldError]]:
    """The answers normalised for storage, and every problem found (empty when valid).

    `require_answers=False` accepts unanswered required attributes (for channels that
    cannot ask them); answers given are checked all the same."""
    by_code = {definition["code"]: definition for definition in definitions}
    errors: list[FieldError] = []
    normalized: dict[str, Any] = {}
    for code in answers:
        if code not in by_code:
            errors.append(
                _error(loc_prefix, code, "This category has no such attribute.", "unknown")
            )
    for code, definition in by_code.items():
        value = answers.get(code)
        if value is None or value == "" or value == []:
            if definition.get("required") and require_answers:
                errors.append(_error(loc_prefix, code, "This attribute is required.", "missing"))
            continue
        try:
            normalized[code] = _normalize(definition, value, from_text=from_text)
        except ValueError as exc:
            errors.append(_error(loc_prefix, code, str(exc), "invalid"))
    return normalized, errors


def _normalize(definition: Mapping[str, Any], value: Any, *, from_text: bool) -> Any:
    datatype = definition["datatype"]
    keys = [allowed["key"] for allowed in definition.get("values") or []]
    if datatype in ("string", "text"):
        if not isinstance(value, str):
            raise ValueError("Must be text.")
        limit = STRING_MAX_LENGTH if datatype == "string" else TEXT_MAX_LENGTH
        if len(value) > limit:
            raise ValueError(f"At most {limit} characters.")
        return value
    if datatype == "number":
        if isinstance(value, str) and from_text:
            try:
                value = float(value)
            except ValueError:
                raise ValueError("Must be a number.") from None
            value = int(value) if value.is_integer() else value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("Must be a number.")
        if not math.isfinite(value):
            raise ValueError("Must be a finite number.")
        return value
    if datatype == "datetime":
        if not isinstance(value, str):
            raise ValueError("Must be an ISO 8601 date-time.")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("Must be an ISO 8601 date-time.") from None
        return parsed.isoformat()
    if datatype == "singlevaluelist":
        if not isinstance(value, str) or value not in keys:
            raise ValueError(f"Must be one of: {', '.join(keys)}.")
        return value
    # multivaluelist
    if isinstance(value, str) and from_text:
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("Must be a list of values.")
    unknown = [item for item in value if item not in keys]
    if unknown:
        raise ValueError(f"Unknown values {unknown}; allowed: {', '.join(keys)}.")
    return list(dict.fromkeys(value))
