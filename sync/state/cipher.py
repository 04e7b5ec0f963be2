"""Encryption at rest for OAuth tokens: Fernet keys from OCOP_SYNC_SECRET_KEY.

The variable holds one or more Fernet keys separated by commas. The first encrypts; every
key decrypts, so a key is rotated by putting the new one first, re-encrypting the stored
tokens (`ocop-sync auth --rekey`), then dropping the old one (docs/configuration.md).
The key never goes into the configuration file or the database.
"""

from __future__ import annotations

import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from sync.settings import ConfigError, env_value

KEY_ENV = "OCOP_SYNC_SECRET_KEY"
KEY_HINT = (
    'generate one with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"'
)


class TokenCipher:
    """Encrypts and decrypts token text with the configured keys (first key encrypts)."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ConfigError(f"{KEY_ENV} is empty; {KEY_HINT}")
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip().encode()))
            except (ValueError, TypeError):
                # Never echo the value: it is the secret itself (or a typo of it).
                raise ConfigError(
                    f"{KEY_ENV}: key {position} is not a Fernet key (32 url-safe base64 "
                    f"bytes); {KEY_HINT}"
                ) from None
        self._fernet = MultiFernet(fernets)

    def __repr__(self) -> str:
        return "TokenCipher(<keys hidden>)"

    def encrypt(self, text: str) -> str:
        """Ciphertext (ASCII) of `text` under the first key."""
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def decrypt(self, ciphertext: str, *, account: str) -> str:
        """`text` back; ConfigError when no configured key opens it."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except InvalidToken:
            raise ConfigError(
                f"account {account}: the stored tokens cannot be decrypted with {KEY_ENV} "
                "(was the key that encrypted them removed before `ocop-sync auth --rekey`?)"
            ) from None

    def rotate(self, ciphertext: str, *, account: str) -> str:
        """The same text re-encrypted under the first key."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise ConfigError(
                f"account {account}: the stored tokens cannot be decrypted with {KEY_ENV}"
            ) from None


def cipher_from_env(environ: dict[str, str] | None = None) -> TokenCipher:
    """The cipher for OCOP_SYNC_SECRET_KEY (or the file OCOP_SYNC_SECRET_KEY_FILE names);
    ConfigError (exit 2) when it is not set."""
    raw = env_value(KEY_ENV, environ if environ is not None else os.environ) or ""
    keys = [key for key in (part.strip() for part in raw.split(",")) if key]
    if not keys:
        raise ConfigError(
            f"{KEY_ENV} is not set: OAuth accounts keep their tokens encrypted with it; {KEY_HINT}"
        )
    return TokenCipher(keys)
