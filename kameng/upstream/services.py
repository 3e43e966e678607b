"""Upstream verbs: connect a supplier by API, and refresh what API suppliers say about
their offers (stock, availability, cost)."""

import logging

from django.utils import timezone

from kameng import vault
from kameng.suppliers.models import Offer, Supplier
from kameng.upstream.adapters import REGISTRY, SupplierUnreachable, adapter_for
from kameng.upstream.errors import ApiSettingsIncomplete, UnknownAdapter

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
        fields = {
            "remote_stock": info.stock,
            "remote_available": info.available,
            "refreshed_at": timezone.now(),
        }
        if info.cost > 0:
            fields["cost"] = info.cost
        Offer.objects.filter(pk=offer.pk).update(**fields)
        refreshed += 1
    if unreadable is not None:
        raise unreadable
    return refreshed
