"""Reporters' contact details, sealed with AES-256-GCM before they reach the database.

The report id is the associated data, so a sealed contact copied onto another report does
not open. A leading version byte leaves room for key rotation.
"""

import base64
import binascii
import json
import os
import uuid
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from usm_reports.config import ReportsSettings
from usmkit.runtime import ServiceRuntime

FORMAT_VERSION = b"\x01"
NONCE_BYTES = 12


class ContactVault:
    def __init__(self, key_base64: str) -> None:
        try:
            key = base64.b64decode(key_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("the contact key must be base64") from exc
        if len(key) != 32:
            raise ValueError("the contact key must be 32 bytes (AES-256)")
        self._cipher = AESGCM(key)

    def seal(self, report_id: uuid.UUID, contact: dict[str, Any]) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(contact, separators=(",", ":")).encode()
        return FORMAT_VERSION + nonce + self._cipher.encrypt(nonce, plaintext, report_id.bytes)

    def open(self, report_id: uuid.UUID, sealed: bytes) -> dict[str, Any]:
        if sealed[:1] != FORMAT_VERSION:
            raise ValueError("unknown sealed-contact format")
        nonce, ciphertext = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            plaintext = self._cipher.decrypt(nonce, ciphertext, report_id.bytes)
        except InvalidTag as exc:
            raise ValueError("the sealed contact does not open with this key") from exc
        contact: dict[str, Any] = json.loads(plaintext)
        return contact


def vault_for(runtime: ServiceRuntime) -> ContactVault:
    settings = runtime.settings
    assert isinstance(settings, ReportsSettings)
    return ContactVault(settings.contact_key.get_secret_value())
