import h3

from usm_reports.models import Report
from usm_reports.reports.privacy import cell_of, parent_cell, public_point, scrub


def test_scrub_blanks_emails_phone_and_id_numbers() -> None:
    text = (
        "Mail thandi.d+reports@example.co.za or call +27 82 555 1234 / (031) 311-1111; "
        "my ID is 8001015009087, CURP GOMC800101MCHRRR09. Pole 1234 on Rd 5."
    )
    assert scrub(text) == (
        "Mail [email removed] or call [phone removed] / [phone removed]; "
        "my ID is [id number removed], CURP [id number removed]. Pole 1234 on Rd 5."
    )
    assert scrub(None) is None


def test_a_normal_report_is_shown_at_the_centre_of_its_resolution_9_cell() -> None:
    report = Report(sensitivity="normal", latitude=-29.851234, longitude=31.053456)
    point = public_point(report)
    assert point is not None
    cell = h3.latlng_to_cell(-29.851234, 31.053456, 9)
    centre = h3.cell_to_latlng(cell)
    assert point == (round(centre[0], 6), round(centre[1], 6))
    # Every point of the cell is shown at the same place: the centre reveals only the cell.
    neighbour_point = h3.cell_to_boundary(cell)[0]
    inside = ((centre[0] * 9 + neighbour_point[0]) / 10, (centre[1] * 9 + neighbour_point[1]) / 10)
    assert public_point(Report(sensitivity="normal", latitude=inside[0], longitude=inside[1])) == (
        point
    )
    assert cell_of(-29.851234, 31.053456) == cell
    assert h3.get_resolution(parent_cell(cell, 7)) == 7


def test_a_sensitive_report_or_one_without_coordinates_has_no_public_point() -> None:
    assert public_point(Report(sensitivity="sensitive", latitude=-29.85, longitude=31.05)) is None
    assert public_point(Report(sensitivity="normal", latitude=None, longitude=None)) is None
