"""What the public may see of a report (ARCHITECTURE §5), decided in one place.

Every public view (Open311, public exports, map aggregates) goes through these: a normal
report's location is snapped to the centre of its H3 cell at resolution 9 and its text
scrubbed; a sensitive one is placed by its district only, with no text at all.
"""

import re

import h3

from usm_reports.models import Report

# H3 resolution 9 cells are about 0.1 km² (edges of ≈ 200 m): near enough to act on a
# broken streetlight, too coarse to point at a house.
PUBLIC_H3_RESOLUTION = 9
# Cell centres are printed to 6 decimals (≈ 0.1 m): stable output, no false precision.
CENTRE_DECIMALS = 6

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


def cell_of(latitude: float, longitude: float) -> str:
    """The resolution-9 H3 cell holding the point (stored with the report at intake)."""
    cell: str = h3.latlng_to_cell(latitude, longitude, PUBLIC_H3_RESOLUTION)
    return cell


def parent_cell(cell: str, resolution: int) -> str:
    """The coarser cell (resolution at most 9) a resolution-9 cell belongs to."""
    parent: str = h3.cell_to_parent(cell, resolution)
    return parent


def cell_centre(cell: str) -> tuple[float, float]:
    """(latitude, longitude) of a cell's centre."""
    latitude, longitude = h3.cell_to_latlng(cell)
    return round(latitude, CENTRE_DECIMALS), round(longitude, CENTRE_DECIMALS)


def public_point(report: Report) -> tuple[float, float] | None:
    """Where the public may see a report: the centre of its resolution-9 cell for a normal
    report; nowhere (its district stands for it) for a sensitive one or one without
    coordinates. The only function any public output uses to place a report."""
    if report.sensitivity != "normal" or report.latitude is None or report.longitude is None:
        return None
    return cell_centre(cell_of(report.latitude, report.longitude))
