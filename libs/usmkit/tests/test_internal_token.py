"""The internal token is a standard HS256 JWT: PyJWT reads what the kit signs by hand."""

import base64
import hashlib
import hmac
import json
import time

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


def segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(claims: object, *, header: bytes = b'{"alg":"HS256","typ":"JWT"}') -> str:
    """A token of any header and payload, signed with HS256 and the test secret."""
    payload = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
    signing_input = f"{segment(header)}.{segment(payload)}"
    signature = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{segment(signature)}"


TIMES = ("iat", "nbf", "exp")


def claims_now(**changes: object) -> dict[str, object]:
    """Valid claims with these changes (None removes a claim). Whole numbers for the times are
    seconds from now, so that parameters made at collection stay as meant however much later
    the test runs."""
    claims: dict[str, object] = {
        "iss": INTERNAL_ISSUER,
        "aud": "indicators",
        "sub": "ana",
        "iat": 0,
        "nbf": -5,
        "exp": 60,
        "roles": ["city_analyst"],
    }
    claims.update(changes)
    now = int(time.time())
    return {
        name: now + value if name in TIMES and isinstance(value, int) else value
        for name, value in claims.items()
        if value is not None
    }


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"exp": -60}, id="expired"),
        pytest.param({"nbf": 60}, id="not-yet-valid"),
        pytest.param({"iat": 60}, id="issued-in-the-future"),
        pytest.param({"exp": "soon"}, id="exp-not-a-number"),
        pytest.param({"exp": None}, id="no-exp"),
        pytest.param({"sub": None}, id="no-sub"),
        pytest.param({"iss": "someone-else"}, id="other-issuer"),
        pytest.param({"aud": "xindicatorsx"}, id="audience-containing-the-name"),
        pytest.param({"aud": ["reports"]}, id="audience-list-without-the-service"),
        pytest.param({"sub": 7}, id="sub-not-text"),
    ],
)
def test_what_pyjwt_refuses_is_refused(changes: dict[str, object]) -> None:
    token = signed(claims_now(**changes))
    with pytest.raises(jwt.PyJWTError):
        jwt.decode(
            token,
            SECRET,
            algorithms=["HS256"],
            audience="indicators",
            issuer=INTERNAL_ISSUER,
            options={"require": ["exp", "iat", "aud", "iss", "sub"]},
            leeway=5,
        )
    with pytest.raises(Unauthorized):
        verify_internal_token(token, audience="indicators", secret=SECRET)


def test_an_audience_list_naming_the_service_and_times_within_the_leeway_are_accepted() -> None:
    token = signed(claims_now(aud=["reports", "indicators"], exp=-3, iat=3))
    assert verify_internal_token(token, audience="indicators", secret=SECRET).subject == "ana"


@pytest.mark.parametrize("claim", ["roles", "scopes", "cities"])
def test_principal_claims_that_are_not_lists_of_text_are_refused(claim: str) -> None:
    token = signed(claims_now(**{claim: "city_admin"}))
    with pytest.raises(Unauthorized):
        verify_internal_token(token, audience="indicators", secret=SECRET)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.???.***",
        signed(claims_now(), header=b'{"alg":"none"}'),
        signed(claims_now(), header=b'{"alg":"HS512"}'),
        signed(claims_now(), header=b"[]"),
        signed(b"[1, 2]"),
        signed(b"\xff\xfe"),
        signed(b"{not json"),
    ],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(Unauthorized):
        verify_internal_token(token, audience="indicators", secret=SECRET)


def test_an_unsigned_token_is_refused() -> None:
    header, payload, _ = signed(claims_now(), header=b'{"alg":"none"}').split(".")
    with pytest.raises(Unauthorized):
        verify_internal_token(f"{header}.{payload}.", audience="indicators", secret=SECRET)
