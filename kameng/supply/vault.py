"""Card secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) under keys from settings.

The first key in settings.CARD_KEYS encrypts; every key decrypts, so a new key can be
prepended and old tokens re-encrypted (`kameng rotate-card-keys`) before the old key
is removed.
"""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.CARD_KEYS))


def encrypt(secret: str) -> str:
    return _current().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _current().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    return _current().rotate(token.encode()).decode()


def digest(secret: str) -> str:
    """Keyed hash for duplicate detection: stable across card-key rotation."""
    key = settings.CARD_DIGEST_KEY.encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()
