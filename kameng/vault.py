"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) under keys from settings.

Card secrets, supplier API secrets and distributors' API-key secrets are all kept
here, under the same keys: the first key in settings.CARD_KEYS (KAMENG_CARD_KEYS)
encrypts, every key decrypts. Rotation: prepend a new key (in every process), run
`kameng rotate-keys` until it reports nothing unreadable, then drop the old key.

ENCRYPTED_COLUMNS names every column that holds a token, so rotation misses none (a
test fails if a model grows an `*_encrypted` field that is not listed). Models are
found through django.apps when rotating, never imported: the vault stays at the
bottom of the import graph, usable from any app.
"""

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import transaction

from kameng.errors import DomainError

log = logging.getLogger(__name__)

# (app label, model, field) of every column holding a Fernet token ("" = no secret).
ENCRYPTED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("stock", "Card", "secret_encrypted"),
    ("suppliers", "Supplier", "api_secret_encrypted"),
    ("agents", "ApiKey", "secret_encrypted"),
    ("payments", "GatewayConfig", "key_encrypted"),
)


class SecretUnreadable(DomainError):
    """A stored secret does not decrypt under any configured key: the keys changed
    without `rotate-keys` (or a key was lost). Not the caller's fault, so a 503."""

    code = "secret_unreadable"
    title = "加密密钥配置有误，无法读取已存的密钥"
    status = 503


@dataclass(frozen=True)
class _Keys:
    all: MultiFernet  # encrypts with the first, decrypts with any
    first: Fernet


@cache
def _fernets(keys: tuple[str, ...]) -> _Keys:
    fernets = [Fernet(k.encode()) for k in keys]
    return _Keys(MultiFernet(fernets), fernets[0])


def _keys() -> _Keys:
    return _fernets(tuple(settings.CARD_KEYS))


def _unreadable(what: str) -> SecretUnreadable:
    return SecretUnreadable(
        f"{what} cannot be decrypted: the platform's encryption keys (KAMENG_CARD_KEYS) "
        "are misconfigured; the operator must restore the key it was encrypted with"
    )


def encrypt(secret: str) -> str:
    return _keys().all.encrypt(secret.encode()).decode()


def decrypt(token: str, what: str = "a stored secret") -> str:
    """The secret; SecretUnreadable (naming `what`) if no configured key opens it."""
    try:
        return _keys().all.decrypt(token.encode()).decode()
    except InvalidToken:
        log.error("%s cannot be decrypted with any key in KAMENG_CARD_KEYS", what)
        raise _unreadable(what) from None


def rotate(token: str) -> str:
    """The same secret encrypted under the first key (SecretUnreadable if unreadable)."""
    try:
        return _keys().all.rotate(token.encode()).decode()
    except InvalidToken:
        raise _unreadable("a stored secret") from None


def is_current(token: str) -> bool:
    """Already encrypted under the first key: rotation leaves it alone."""
    try:
        _keys().first.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def digest(secret: str) -> str:
    """Keyed hash for duplicate detection: stable across key rotation."""
    key = settings.CARD_DIGEST_KEY.encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


# --- rotation ------------------------------------------------------------------------


@dataclass
class ColumnRotation:
    """What rotating one column did; `unreadable` holds the primary keys left as
    they were because no configured key opens them."""

    column: str  # "stock.Card.secret_encrypted"
    re_encrypted: int = 0
    already_current: int = 0
    unreadable: list[int] = field(default_factory=list)


def rotate_all(
    batch_size: int = 500, after_batch: Callable[[ColumnRotation], None] | None = None
) -> list[ColumnRotation]:
    """Re-encrypt every column of ENCRYPTED_COLUMNS under the first key.

    Batches of `batch_size` rows, each its own transaction with its rows locked, so a
    concurrent writer (`connect-supplier`) waits instead of being overwritten, and an
    interrupted run keeps what it finished. Tokens already under the first key are
    skipped: running again after an interruption just continues. An unreadable token
    is counted and left unchanged; the other rows and columns go on.
    """
    return [
        _rotate_column(apps.get_model(app_label, model_name), field_name, batch_size, after_batch)
        for app_label, model_name, field_name in ENCRYPTED_COLUMNS
    ]


def _rotate_column(
    model, field_name: str, batch_size: int, after_batch: Callable | None
) -> ColumnRotation:
    report = ColumnRotation(f"{model._meta.label}.{field_name}")
    rows = model._base_manager.exclude(**{field_name: ""}).order_by("pk")
    last_pk = None
    while True:
        with transaction.atomic():
            batch = rows.select_for_update()
            if last_pk is not None:
                batch = batch.filter(pk__gt=last_pk)
            batch = list(batch.values_list("pk", field_name)[:batch_size])
            changed = []
            for pk, token in batch:
                if is_current(token):
                    report.already_current += 1
                    continue
                try:
                    changed.append(model(pk=pk, **{field_name: rotate(token)}))
                except SecretUnreadable:
                    report.unreadable.append(pk)
            model._base_manager.bulk_update(changed, [field_name])
            report.re_encrypted += len(changed)
        if not batch:
            return report
        last_pk = batch[-1][0]
        if after_batch is not None:
            after_batch(report)
