"""Supplier adapters: one class per upstream protocol, chosen per supplier by name.

`adapter_for(supplier)` is the only entry point the rest of Kameng uses.
"""

from kameng.upstream.adapters import kameng_http, kameng_v1  # noqa: F401  (register themselves)
from kameng.upstream.adapters.base import (
    REGISTRY,
    ForgedCallback,
    MalformedCallback,
    Outcome,
    ProductInfo,
    StatusReport,
    SubmitResult,
    SupplierAdapter,
    SupplierCredentials,
    SupplierNotReached,
    SupplierUnreachable,
    TopupRequest,
    adapter_for,
    register,
)

__all__ = [
    "REGISTRY",
    "ForgedCallback",
    "MalformedCallback",
    "Outcome",
    "ProductInfo",
    "StatusReport",
    "SubmitResult",
    "SupplierAdapter",
    "SupplierCredentials",
    "SupplierNotReached",
    "SupplierUnreachable",
    "TopupRequest",
    "adapter_for",
    "register",
]
