"""Point-in-polygon for GeoJSON Polygon and MultiPolygon boundaries, by ray casting.

Pure and dependency-free: a city has few districts, so intake tests each one.
Coordinates are GeoJSON's (longitude, latitude) and are treated as planar, which is
sound at district scale away from the antimeridian and the poles. Points exactly on an
edge fall on one side consistently (the half-open crossing rule), so a point on the
border of two neighbouring districts lands in exactly one of them.
"""

from collections.abc import Mapping, Sequence
from typing import Any

Position = Sequence[float]
Ring = Sequence[Position]
PolygonRings = Sequence[Ring]


class InvalidBoundary(ValueError):
    """A boundary that is not a well-formed GeoJSON Polygon or MultiPolygon."""


def ring_contains(ring: Ring, *, longitude: float, latitude: float) -> bool:
    """Whether the point is inside the closed ring (even-odd rule)."""
    inside = False
    previous = ring[-1]
    for current in ring:
        x1, y1 = current[0], current[1]
        x2, y2 = previous[0], previous[1]
        # Count edges that straddle the point's latitude and cross east of it.
        if (y1 > latitude) != (y2 > latitude):
            crossing = x1 + (latitude - y1) * (x2 - x1) / (y2 - y1)
            if longitude < crossing:
                inside = not inside
        previous = current
    return inside


def polygon_contains(rings: PolygonRings, *, longitude: float, latitude: float) -> bool:
    """Inside the outer ring and outside every hole."""
    if not rings:
        return False
    outer, *holes = rings
    if not ring_contains(outer, longitude=longitude, latitude=latitude):
        return False
    return not any(ring_contains(hole, longitude=longitude, latitude=latitude) for hole in holes)


def boundary_contains(
    boundary: Mapping[str, Any] | None, *, longitude: float, latitude: float
) -> bool:
    """Whether a GeoJSON Polygon or MultiPolygon contains the point; None contains nothing."""
    if boundary is None:
        return False
    coordinates = boundary["coordinates"]
    if boundary["type"] == "Polygon":
        return polygon_contains(coordinates, longitude=longitude, latitude=latitude)
    return any(
        polygon_contains(polygon, longitude=longitude, latitude=latitude) for polygon in coordinates
    )


def bounding_box(
    boundaries: Sequence[Mapping[str, Any]],
) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) around every position of the boundaries; None for none."""
    longitudes: list[float] = []
    latitudes: list[float] = []
    for boundary in boundaries:
        polygons = (
            [boundary["coordinates"]] if boundary["type"] == "Polygon" else boundary["coordinates"]
        )
        for polygon in polygons:
            for ring in polygon:
                longitudes += [position[0] for position in ring]
                latitudes += [position[1] for position in ring]
    if not longitudes:
        return None
    return min(longitudes), min(latitudes), max(longitudes), max(latitudes)


def validate_boundary(boundary: Mapping[str, Any] | None) -> None:
    """Refuse what `boundary_contains` cannot read, before it is stored."""
    if boundary is None:
        return
    kind = boundary.get("type")
    coordinates = boundary.get("coordinates")
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list):
            raise InvalidBoundary("MultiPolygon coordinates must be a list of polygons")
        polygons = coordinates
    else:
        raise InvalidBoundary(f"unsupported geometry type {kind!r}")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise InvalidBoundary("a polygon must be a non-empty list of rings")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise InvalidBoundary("a ring needs at least four positions")
            for position in ring:
                if (
                    not isinstance(position, list)
                    or len(position) < 2
                    or not all(
                        isinstance(value, int | float) and not isinstance(value, bool)
                        for value in position[:2]
                    )
                ):
                    raise InvalidBoundary(f"not a position: {position!r}")
