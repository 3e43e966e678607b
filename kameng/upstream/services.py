"""Upstream verbs: connect a supplier by API, test the connection, and refresh what API
suppliers say about their offers (stock, availability, cost)."""

import logging
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

from kameng import vault
from kameng.catalog.models import Sku
from kameng.suppliers.models import Offer, Supplier
from kameng.upstream.adapters import (
    REGISTRY,
    ProductInfo,
    SupplierAdapter,
    SupplierUnreachable,
    adapter_for,
)
from kameng.upstream.errors import ApiSettingsIncomplete, ConnectionFailed, UnknownAdapter

log = logging.getLogger(__name__)


def check_api_settings(
    supplier: Supplier, *, adapter: str, base_url: str, merchant_id: str, secret: str | None
) -> None:
    """What configure_api refuses, without changing anything (forms check first).
    `secret=None` keeps the supplier's stored secret, if it has one."""
    if adapter not in REGISTRY:
        raise UnknownAdapter(f"unknown adapter {adapter!r}; known: {', '.join(sorted(REGISTRY))}")
    missing = [
        name
        for name, given in (
            ("base_url", base_url.startswith(("http://", "https://"))),
            ("merchant_id", bool(merchant_id)),
            ("secret", bool(secret) or (secret is None and bool(supplier.api_secret_encrypted))),
        )
        if not given
    ]
    if missing:
        raise ApiSettingsIncomplete(
            "an API supplier needs an http(s) base URL, a merchant id and a secret",
            missing=missing,
        )


def configure_api(
    supplier: Supplier, *, adapter: str, base_url: str, merchant_id: str, secret: str | None
) -> Supplier:
    """Connect a supplier by API: which protocol, where, and its credentials
    (`secret=None`: keep the one already stored)."""
    check_api_settings(
        supplier, adapter=adapter, base_url=base_url, merchant_id=merchant_id, secret=secret
    )
    supplier.mode = Supplier.Mode.API
    supplier.adapter = adapter
    supplier.api_base_url = base_url.rstrip("/")
    supplier.merchant_id = merchant_id
    if secret is not None:
        supplier.api_secret_encrypted = vault.encrypt(secret)
    supplier.save(
        update_fields=["mode", "adapter", "api_base_url", "merchant_id", "api_secret_encrypted"]
    )
    return supplier


def refresh_remote_offers() -> int:
    """Ask every API supplier for the stock and cost of each product it offers us.
    A supplier that does not answer keeps its last known figures."""
    offers = Offer.objects.filter(
        active=True, supplier__mode=Supplier.Mode.API, supplier__status=Supplier.Status.APPROVED
    ).exclude(remote_sku="")
    refreshed = 0
    unreadable: vault.SecretUnreadable | None = None
    for offer in offers.select_related("supplier"):
        try:
            info = adapter_for(offer.supplier).query_product(offer.remote_sku)
        except SupplierUnreachable as exc:
            log.warning("stock of %s at %s unknown: %s", offer.remote_sku, offer.supplier, exc)
            continue
        except vault.SecretUnreadable as exc:
            unreadable = unreadable or exc  # the other suppliers are still refreshed
            continue
        _record(offer, info)
        refreshed += 1
    if unreadable is not None:
        raise unreadable
    return refreshed


class RemoteOffer(NamedTuple):
    """What the supplier said about one of its offers, just now."""

    sku: Sku
    remote_sku: str
    cost: Decimal  # per unit; 0 if it does not know the product
    stock: int | None  # None: it does not say (unlimited)
    available: bool


# Asked for when a supplier has no offer to ask about: any signed answer (even "unknown
# product") proves the address, the merchant id and the secret.
PROBE_PRODUCT = "kameng-connection-test"


def test_connection(supplier: Supplier) -> list[RemoteOffer]:
    """Ask the supplier, through its adapter, about each product of its active offers
    (a probe if it has none) and answer what it said, in catalogue order. The offers'
    refreshed fields (stock, availability, cost, refreshed_at) are updated on the way,
    as refresh_remote_offers does; nothing else changes. Any supplier status: a
    supplier tests its connection before it is approved.

    ApiSettingsIncomplete if the supplier is not connected by API (or its settings
    are incomplete); ConnectionFailed ("连接失败: …") if it does not answer or its
    answer cannot be trusted; vault.SecretUnreadable if its secret cannot be read."""
    if supplier.mode != Supplier.Mode.API or not supplier.adapter:
        raise ApiSettingsIncomplete(
            f"supplier {supplier} is not connected by API: set its adapter, base URL, "
            "merchant id and secret first",
            missing=["adapter"],
        )
    check_api_settings(
        supplier,
        adapter=supplier.adapter,
        base_url=supplier.api_base_url,
        merchant_id=supplier.merchant_id,
        secret=None,
    )
    adapter = adapter_for(supplier)
    offers = (
        Offer.objects.filter(supplier=supplier, active=True)
        .exclude(remote_sku="")
        .select_related("sku__product")
        .order_by("sku__product__name", "sku__face_value", "pk")
    )
    rows = []
    for offer in offers:
        info = _ask(adapter, offer.remote_sku)
        _record(offer, info)
        rows.append(RemoteOffer(offer.sku, offer.remote_sku, info.cost, info.stock, info.available))
    if not rows:
        _ask(adapter, PROBE_PRODUCT)
    return rows


test_connection.__test__ = False  # not a pytest test, whatever its name


def _ask(adapter: SupplierAdapter, remote_sku: str) -> ProductInfo:
    try:
        return adapter.query_product(remote_sku)
    except SupplierUnreachable as exc:
        raise ConnectionFailed(f"connection failed: {exc}", detail=str(exc)) from exc


def _record(offer: Offer, info: ProductInfo) -> None:
    """What the supplier just said about an offer (a cost of 0: it did not say one)."""
    fields = {
        "remote_stock": info.stock,
        "remote_available": info.available,
        "refreshed_at": timezone.now(),
    }
    if info.cost > 0:
        fields["cost"] = info.cost
    Offer.objects.filter(pk=offer.pk).update(**fields)
