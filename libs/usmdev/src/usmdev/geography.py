"""GeoJSON for the demo data and the tests: longitude/latitude boxes, and districts drawn
with them as `geography.updated` carries them (usmdev.events)."""

from __future__ import annotations

from typing import Any


def box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    """A GeoJSON Polygon for a longitude/latitude box."""
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def district(code: str, name: str, boundary: dict[str, Any]) -> dict[str, Any]:
    """One district of a `geography.updated` event."""
    return {"code": code, "name": name, "boundary": boundary}


# Durban as the services' tests draw it, apart from the demo data's boxes (seed_indicators):
# Central, and North above it, sharing the line at 29.8° S.
CENTRAL = district("DBN-CENTRAL", "Central", box(31.0, -29.9, 31.1, -29.8))
NORTH = district("DBN-NORTH", "North", box(31.0, -29.8, 31.2, -29.6))
