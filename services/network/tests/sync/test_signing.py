import time

import pytest

from usm_network.sync import signing

SECRET = "s" * 40


def signed(**overrides: object) -> signing.Signed:
    fields: dict[str, object] = {
        "secret": SECRET,
        "node_id": "node-b",
        "method": "GET",
        "path": "/api/v1/network/sync/feed",
        "query": "limit=5&cursor=0",
    }
    fields.update(overrides)
    return signing.sign_request(**fields)  # type: ignore[arg-type]


def verify(sig: signing.Signed, **overrides: object) -> None:
    fields: dict[str, object] = {
        "secret": SECRET,
        "method": "GET",
        "path": "/api/v1/network/sync/feed",
        "query": "cursor=0&limit=5",
        "body": b"",
        "max_skew_s": 300,
    }
    fields.update(overrides)
    signing.verify_request(sig, **fields)  # type: ignore[arg-type]


def test_the_query_is_signed_in_canonical_order() -> None:
    verify(signed())


@pytest.mark.parametrize(
    "change",
    [
        {"method": "POST"},
        {"path": "/api/v1/network/sync/feedx"},
        {"query": "cursor=1&limit=5"},
        {"body": b"x"},
        {"secret": "t" * 40},
    ],
)
def test_any_change_breaks_the_signature(change: dict[str, object]) -> None:
    with pytest.raises(signing.SignatureError):
        verify(signed(), **change)


def test_stale_and_future_timestamps_and_bad_nonces_are_refused() -> None:
    for moment in (time.time() - 301, time.time() + 301):
        with pytest.raises(signing.SignatureError, match="window"):
            verify(signed(at=moment))
    sig = signed()
    forged = signing.Signed(sig.node_id, sig.timestamp, "short", sig.signature)
    with pytest.raises(signing.SignatureError, match="nonce"):
        verify(forged)


def test_a_response_is_bound_to_its_request_nonce() -> None:
    response = signing.sign_response(
        secret=SECRET, node_id="node-a", status=200, request_nonce="n" * 20, body=b"{}"
    )
    common = {"secret": SECRET, "expected_node": "node-a", "status": 200, "max_skew_s": 300}
    signing.verify_response(response, request_nonce="n" * 20, body=b"{}", **common)  # type: ignore[arg-type]
    with pytest.raises(signing.SignatureError):
        signing.verify_response(response, request_nonce="m" * 20, body=b"{}", **common)  # type: ignore[arg-type]
    with pytest.raises(signing.SignatureError):
        signing.verify_response(response, request_nonce="n" * 20, body=b"{ }", **common)  # type: ignore[arg-type]
