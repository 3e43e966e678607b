from kameng.orders.models import Order
from kameng.webhooks.models import Delivery


def delivery_log(order: Order) -> list[dict]:
    """Every webhook delivery of the order and each try, oldest first (for its owner)."""
    return [
        delivery_entry(d) for d in Delivery.objects.filter(order=order).prefetch_related("attempts")
    ]


def delivery_entry(d: Delivery) -> dict:
    return {
        "event_id": d.event_id,
        "status": d.status,
        "url": d.url,
        "state": d.state,
        "manual": d.manual,
        "tries": d.tries,
        "created_at": d.created_at.isoformat(),
        "next_try_at": d.next_try_at.isoformat() if d.next_try_at else None,
        "finished_at": d.finished_at.isoformat() if d.finished_at else None,
        "attempts": [
            {
                "number": t.number,
                "at": t.at.isoformat(),
                "http_status": t.http_status,
                "error": t.error,
                "duration_ms": t.duration_ms,
            }
            for t in d.attempts.all()
        ],
    }
