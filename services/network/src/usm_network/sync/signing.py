"""HMAC-SHA256 signatures of sync requests and responses, with timestamp and nonce.

A request is signed over its method, path, canonical query, the caller's node id, the
timestamp, the nonce and the SHA-256 of its body; a response over its status, the request's
nonce (so a response cannot be replayed to another request), its own timestamp and nonce
and its body. Headers carry the parts; `X-USM-*` is avoided because the gateway strips it.
"""

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

NODE_HEADER = "X-Sync-Node"
TIMESTAMP_HEADER = "X-Sync-Timestamp"
NONCE_HEADER = "X-Sync-Nonce"
SIGNATURE_HEADER = "X-Sync-Signature"
NONCE_PATTERN = r"^[A-Za-z0-9_-]{16,100}$"


class SignatureError(ValueError):
    """A signature is missing, malformed, stale or wrong."""


def canonical_query(query: str) -> str:
    return urlencode(sorted(parse_qsl(query, keep_blank_values=True)))


def _digest(secret: str, parts: list[str], body: bytes) -> str:
    message = "\n".join([*parts, hashlib.sha256(body).hexdigest()]).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Signed:
    node_id: str
    timestamp: str
    nonce: str
    signature: str

    def headers(self) -> dict[str, str]:
        return {
            NODE_HEADER: self.node_id,
            TIMESTAMP_HEADER: self.timestamp,
            NONCE_HEADER: self.nonce,
            SIGNATURE_HEADER: self.signature,
        }

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> "Signed":
        try:
            return cls(
                node_id=headers[NODE_HEADER],
                timestamp=headers[TIMESTAMP_HEADER],
                nonce=headers[NONCE_HEADER],
                signature=headers[SIGNATURE_HEADER],
            )
        except KeyError as exc:
            raise SignatureError(f"missing header {exc.args[0]}") from exc


def request_parts(
    method: str, path: str, query: str, node_id: str, ts: str, nonce: str
) -> list[str]:
    return ["request", method.upper(), path, canonical_query(query), node_id, ts, nonce]


def response_parts(status: int, request_nonce: str, node_id: str, ts: str, nonce: str) -> list[str]:
    return ["response", str(status), request_nonce, node_id, ts, nonce]


def sign_request(
    *,
    secret: str,
    node_id: str,
    method: str,
    path: str,
    query: str,
    body: bytes = b"",
    at: float | None = None,
) -> Signed:
    ts, nonce = str(int(time.time() if at is None else at)), new_nonce()
    signature = _digest(secret, request_parts(method, path, query, node_id, ts, nonce), body)
    return Signed(node_id=node_id, timestamp=ts, nonce=nonce, signature=signature)


def sign_response(
    *, secret: str, node_id: str, status: int, request_nonce: str, body: bytes
) -> Signed:
    ts, nonce = str(int(time.time())), new_nonce()
    signature = _digest(secret, response_parts(status, request_nonce, node_id, ts, nonce), body)
    return Signed(node_id=node_id, timestamp=ts, nonce=nonce, signature=signature)


def check_fresh(signed: Signed, *, max_skew_s: int, now: float | None = None) -> None:
    """Refuse timestamps further than `max_skew_s` from now, and malformed nonces."""
    if not re.match(NONCE_PATTERN, signed.nonce):
        raise SignatureError("malformed nonce")
    try:
        stamp = int(signed.timestamp)
    except ValueError as exc:
        raise SignatureError("malformed timestamp") from exc
    if abs((now if now is not None else time.time()) - stamp) > max_skew_s:
        raise SignatureError("timestamp outside the accepted window")


def verify_request(
    signed: Signed, *, secret: str, method: str, path: str, query: str, body: bytes, max_skew_s: int
) -> None:
    check_fresh(signed, max_skew_s=max_skew_s)
    parts = request_parts(method, path, query, signed.node_id, signed.timestamp, signed.nonce)
    if not hmac.compare_digest(_digest(secret, parts, body), signed.signature):
        raise SignatureError("bad signature")


def verify_response(
    signed: Signed,
    *,
    secret: str,
    expected_node: str,
    status: int,
    request_nonce: str,
    body: bytes,
    max_skew_s: int,
) -> None:
    check_fresh(signed, max_skew_s=max_skew_s)
    if signed.node_id != expected_node:
        raise SignatureError("response from another node")
    parts = response_parts(status, request_nonce, signed.node_id, signed.timestamp, signed.nonce)
    if not hmac.compare_digest(_digest(secret, parts, body), signed.signature):
        raise SignatureError("bad response signature")
