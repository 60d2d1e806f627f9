"""Peers' shared secrets sealed at rest (AES-GCM under a key derived from the sync key)."""

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12


def _cipher(key: str) -> AESGCM:
    derived = HKDF(
        algorithm=SHA256(), length=32, salt=b"usm-network", info=b"usm-network-peer-secret"
    ).derive(key.encode())
    return AESGCM(derived)


def seal(key: str, node_id: str, secret: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + _cipher(key).encrypt(nonce, secret.encode(), node_id.encode())


def unseal(key: str, node_id: str, sealed: bytes) -> str:
    nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    return _cipher(key).decrypt(nonce, ciphertext, node_id.encode()).decode()
