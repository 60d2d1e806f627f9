"""What the public may see of a report (ARCHITECTURE §5), decided in one place.

Public views (Open311, the public API) use these: normal reports are shown with their
location snapped and their text scrubbed; sensitive ones with their district only and
no text at all.
"""

import re

# A stand-in for the centre of the report's H3 cell at resolution 9 (≈ 170 m across):
# 3 decimal places is a grid of ≈ 110 m in latitude. The `h3` package is not a
# dependency of this service yet; when it is, `snap` returns the cell centre instead.
SNAP_DECIMALS = 3

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# South African ID numbers (13 digits) and Mexican CURPs (18 characters).
_ID_NUMBER = re.compile(r"\b(?:\d{13}|[A-Z]{4}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d)\b", re.IGNORECASE)
# Seven or more digits, possibly with a leading + and separators: phone numbers.
_PHONE = re.compile(r"\+?\(?\d(?:[\s().-]*\d){6,}")


def scrub(text: str | None) -> str | None:
    """Free text with e-mail addresses, ID numbers and phone numbers blanked out."""
    if text is None:
        return None
    text = _EMAIL.sub("[email removed]", text)
    text = _ID_NUMBER.sub("[id number removed]", text)
    return _PHONE.sub("[phone removed]", text)


def snap(coordinate: float | None) -> float | None:
    """A coordinate generalised to the public grid."""
    return None if coordinate is None else round(coordinate, SNAP_DECIMALS)
