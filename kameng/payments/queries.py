"""Read-only views of payments and refunds for the CLI and the admin (never the key)."""

from kameng.payments.gateways import TYPE_LABELS
from kameng.payments.models import GatewayConfig, Payment, Refund
from kameng.payments.states import RefundStatus


def config_view(config: GatewayConfig) -> dict:
    return {
        "name": config.name,
        "url": config.url,
        "pid": config.pid,
        "types": config.type_list,
        "type_labels": [TYPE_LABELS.get(t, t) for t in config.type_list],
        "enabled": config.enabled,
        "key": "set" if config.key_encrypted else "missing",
        "updated_at": config.updated_at.isoformat() if config.updated_at else None,
    }


def gateway_configs() -> list[GatewayConfig]:
    return list(GatewayConfig.objects.order_by("name"))


def payment_view(payment: Payment) -> dict:
    return {
        "order_no": payment.order.order_no,
        "order_status": payment.order.status,
        "gateway": payment.gateway,
        "type": payment.type,
        "amount": str(payment.amount),
        "status": payment.status,
        "trade_no": payment.trade_no,
        "paid_via": payment.paid_via or None,
        "paid_at": payment.paid_at.isoformat() if payment.paid_at else None,
        "confirmed_by": payment.confirmed_by.get_username() if payment.confirmed_by else None,
        "confirm_reason": payment.confirm_reason or None,
    }


def refund_view(refund: Refund) -> dict:
    return {
        "id": refund.pk,
        "order_no": refund.payment.order.order_no,
        "gateway": refund.gateway,
        "trade_no": refund.trade_no,
        "amount": str(refund.amount),
        "status": refund.status,
        "tries": refund.tries,
        "sends": refund.sends,
        "reason": refund.reason,
        "last_error": refund.last_error or None,
        "created_at": refund.created_at.isoformat(),
        "done_at": refund.done_at.isoformat() if refund.done_at else None,
    }


def refunds(*, failed_only: bool = False, limit: int = 200) -> list[Refund]:
    """Newest first; `failed_only`: those waiting for the operator (重试退款)."""
    rows = Refund.objects.select_related("payment__order").order_by("-pk")
    if failed_only:
        rows = rows.filter(status=RefundStatus.FAILED)
    return list(rows[:limit])
