import pytest

from usm_reports.districts.geometry import (
    InvalidBoundary,
    boundary_contains,
    bounding_box,
    polygon_contains,
    ring_contains,
    validate_boundary,
)

SQUARE = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]]
HOLE = [[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0], [4.0, 4.0]]
# A "U": concave, so a ray from the gap crosses the outline twice.
U_SHAPE = [[0, 0], [9, 0], [9, 9], [6, 9], [6, 3], [3, 3], [3, 9], [0, 9], [0, 0]]


def test_ring_contains_points_inside_and_not_outside() -> None:
    assert ring_contains(SQUARE, longitude=5, latitude=5)
    assert not ring_contains(SQUARE, longitude=15, latitude=5)
    assert not ring_contains(SQUARE, longitude=-1, latitude=-1)


def test_concave_ring() -> None:
    assert ring_contains(U_SHAPE, longitude=1, latitude=8)
    assert not ring_contains(U_SHAPE, longitude=4.5, latitude=8)
    assert ring_contains(U_SHAPE, longitude=4.5, latitude=1)


def test_the_closing_position_may_be_left_out() -> None:
    assert ring_contains(SQUARE[:-1], longitude=5, latitude=5)


def test_a_hole_is_outside() -> None:
    assert not polygon_contains([SQUARE, HOLE], longitude=5, latitude=5)
    assert polygon_contains([SQUARE, HOLE], longitude=2, latitude=2)
    assert not polygon_contains([], longitude=5, latitude=5)


def test_neighbours_share_an_edge_and_a_point_on_it_lands_in_exactly_one() -> None:
    west = {"type": "Polygon", "coordinates": [SQUARE]}
    east = {"type": "Polygon", "coordinates": [[[x + 10, y] for x, y in SQUARE]]}
    on_shared_edge = {"longitude": 10.0, "latitude": 5.0}
    hits = [boundary_contains(b, **on_shared_edge) for b in (west, east)]
    assert hits.count(True) == 1


def test_multipolygon_contains_a_point_in_any_part() -> None:
    far_square = [[x + 20, y] for x, y in SQUARE]
    multi = {"type": "MultiPolygon", "coordinates": [[SQUARE, HOLE], [far_square]]}
    assert boundary_contains(multi, longitude=25, latitude=5)
    assert boundary_contains(multi, longitude=1, latitude=1)
    assert not boundary_contains(multi, longitude=5, latitude=5)
    assert not boundary_contains(multi, longitude=15, latitude=5)


def test_real_coordinates_in_the_southern_and_eastern_hemispheres() -> None:
    central = {
        "type": "Polygon",
        "coordinates": [
            [[31.0, -29.9], [31.1, -29.9], [31.1, -29.8], [31.0, -29.8], [31.0, -29.9]]
        ],
    }
    assert boundary_contains(central, longitude=31.05, latitude=-29.85)
    assert not boundary_contains(central, longitude=31.05, latitude=-29.75)


def test_no_boundary_contains_nothing() -> None:
    assert not boundary_contains(None, longitude=0, latitude=0)


@pytest.mark.parametrize(
    "boundary",
    [
        {"type": "Point", "coordinates": [1, 2]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], ["a", 0]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0]]]},
        {"type": "MultiPolygon", "coordinates": [[]]},
        {"type": "MultiPolygon", "coordinates": "nope"},
    ],
)
def test_malformed_boundaries_are_refused(boundary: dict[str, object]) -> None:
    with pytest.raises(InvalidBoundary):
        validate_boundary(boundary)


def test_well_formed_boundaries_are_accepted() -> None:
    validate_boundary(None)
    validate_boundary({"type": "Polygon", "coordinates": [SQUARE, HOLE]})
    validate_boundary({"type": "MultiPolygon", "coordinates": [[SQUARE], [HOLE]]})


def test_bounding_box_spans_every_polygon() -> None:
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    multi = {
        "type": "MultiPolygon",
        "coordinates": [[[[5, -2], [6, -2], [6, -1], [5, -1], [5, -2]]]],
    }
    assert bounding_box([square, multi]) == (0, -2, 6, 1)
    assert bounding_box([]) is None
