"""Peers' credentials sealed at rest (AES-GCM under a key derived from the sync key)."""

import os
from typing import Literal

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
# What a sealed value is: the HMAC secret shared with the peer, or the API key the peer's
# gateway issued to this node.
Credential = Literal["secret", "api_key"]


def _cipher(key: str) -> AESGCM:
    derived = HKDF(
        algorithm=SHA256(), length=32, salt=b"usm-network", info=b"usm-network-peer-secret"
    ).derive(key.encode())
    return AESGCM(derived)


def _associated_data(node_id: str, credential: Credential) -> bytes:
    # A sealed value opens only for its peer and its column, so one credential cannot be
    # moved into the other's place. Secrets were sealed with the bare node id before API
    # keys existed, and a node id (a slug) never holds "/".
    return node_id.encode() if credential == "secret" else f"{node_id}/{credential}".encode()


def seal(key: str, node_id: str, secret: str, credential: Credential = "secret") -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    associated = _associated_data(node_id, credential)
    return nonce + _cipher(key).encrypt(nonce, secret.encode(), associated)


def unseal(key: str, node_id: str, sealed: bytes, credential: Credential = "secret") -> str:
    nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    associated = _associated_data(node_id, credential)
    return _cipher(key).decrypt(nonce, ciphertext, associated).decode()
