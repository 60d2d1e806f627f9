from usm_reports.reports.privacy import scrub, snap


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


def test_snap_rounds_to_the_public_grid() -> None:
    assert snap(-29.851234) == -29.851
    assert snap(31.0535) in (31.053, 31.054)
    assert snap(None) is None
