"""The internal token is a standard HS256 JWT: PyJWT reads what the kit signs by hand."""

import jwt
import pytest

from usmkit.auth import INTERNAL_ISSUER, Principal, mint_internal_token, verify_internal_token
from usmkit.problems import Unauthorized

SECRET = "a-test-secret-long-enough-for-hs256-keys"


def analyst() -> Principal:
    return Principal(
        subject="ana",
        roles=["city_analyst"],
        scopes=["indicators:read"],
        cities=["durban"],
        client_id="portal",
        request_id="req-1",
    )


def test_a_minted_token_is_a_jwt_that_pyjwt_verifies_with_every_claim() -> None:
    token = mint_internal_token(analyst(), audience="indicators", secret=SECRET, ttl_s=60)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(
        token, SECRET, algorithms=["HS256"], audience="indicators", issuer=INTERNAL_ISSUER
    )
    assert claims["exp"] - claims["iat"] == 60
    assert {key: claims[key] for key in ("sub", "roles", "scopes", "cities", "client_id")} == {
        "sub": "ana",
        "roles": ["city_analyst"],
        "scopes": ["indicators:read"],
        "cities": ["durban"],
        "client_id": "portal",
    }
    assert verify_internal_token(token, audience="indicators", secret=SECRET) == analyst()


def test_a_token_signed_with_another_secret_or_altered_is_refused() -> None:
    token = mint_internal_token(analyst(), audience="indicators", secret=SECRET)
    with pytest.raises(Unauthorized):
        verify_internal_token(token, audience="indicators", secret=SECRET + "-other")
    header, _payload, signature = token.split(".")
    forged = mint_internal_token(
        Principal(subject="ana", roles=["platform_admin"], scopes=["*"], cities=["*"]),
        audience="indicators",
        secret="attacker",
    ).split(".")[1]
    with pytest.raises(Unauthorized):
        verify_internal_token(
            f"{header}.{forged}.{signature}", audience="indicators", secret=SECRET
        )
    with pytest.raises(Unauthorized):
        verify_internal_token(token, audience="reports", secret=SECRET)
