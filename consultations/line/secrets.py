"""The LINE official accounts' channel secrets and access tokens, encrypted at
rest (issue 18).

Each LineChannel keeps its secret and token as Fernet tokens (AES-128-CBC
with an HMAC-SHA256, from the ``cryptography`` package) made with the keys of
``LINE_SECRETS_KEYS``: Fernet keys from the environment, the newest first.
A ``MultiFernet`` encrypts with the first key and decrypts with any of them,
so a key is rotated in three steps:

1. put a new key first in LINE_SECRETS_KEYS (keep the old one after it) and
   restart the app;
2. run ``manage.py rotate_line_secrets``: every channel's secret and token
   are encrypted again with the new key, in one transaction;
3. drop the old key from LINE_SECRETS_KEYS and restart the app.

Nothing here logs a secret, a token or a key.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "decrypt", "encrypt", "rotate"]


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "LINE_SECRETS_KEYS is not set: the LINE channels' secrets cannot be "
            "encrypted or read."
        )
    try:
        return MultiFernet([Fernet(key.strip()) for key in keys])
    except ValueError:
        # Fernet's message says what is wrong with the key, never the key.
        raise ImproperlyConfigured(
            "LINE_SECRETS_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from None


def _keys() -> MultiFernet:
    return _multi_fernet(tuple(settings.LINE_SECRETS_KEYS))


def encrypt(value: str) -> str:
    """``value`` encrypted with the newest key; '' stays ''."""
    if not value:
        return ""
    return _keys().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """The clear text of an encrypted value; '' stays ''. Raises InvalidToken
    if none of the keys opens it."""
    if not token:
        return ""
    return _keys().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """The same value encrypted again with the newest key; '' stays ''."""
    if not token:
        return ""
    return _keys().rotate(token.encode()).decode()
