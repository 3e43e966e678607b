"""Payment gateways: one class per protocol, chosen per configured gateway by name.

`gateway_for(name, account)` is the only entry point the rest of Kameng uses.
"""

from kameng.payments.gateways import epay  # noqa: F401  (registers itself)
from kameng.payments.gateways.base import (
    REGISTRY,
    TYPE_LABELS,
    ApiPayment,
    ForgedNotify,
    GatewayAccount,
    GatewayRefused,
    GatewayUnreachable,
    InvalidGatewayAccount,
    InvalidPaymentRequest,
    Notify,
    PaymentGateway,
    PaymentRedirect,
    PaymentRequest,
    PaymentState,
    QueryResult,
    RefundResult,
    UnknownGateway,
    gateway_for,
    register,
)

__all__ = [
    "REGISTRY",
    "TYPE_LABELS",
    "ApiPayment",
    "ForgedNotify",
    "GatewayAccount",
    "GatewayRefused",
    "GatewayUnreachable",
    "InvalidGatewayAccount",
    "InvalidPaymentRequest",
    "Notify",
    "PaymentGateway",
    "PaymentRedirect",
    "PaymentRequest",
    "PaymentState",
    "QueryResult",
    "RefundResult",
    "UnknownGateway",
    "gateway_for",
    "register",
]
