from decimal import Decimal

from django.db.models import Sum

from kameng.agents.models import Agent
from kameng.money import ZERO
from kameng.orders.models import Order
from kameng.orders.services import reveal_cards
from kameng.orders.states import HOLDING_ESCROW, Status


def order_view(order: Order, *, viewer: Agent | None = None) -> dict:
    """What the order's owner sees; card secrets only when the viewer is the owner."""
    view = {
        "order_no": order.order_no,
        "out_trade_no": order.out_trade_no,
        "sku_id": order.sku_id,
        "quantity": order.quantity,
        "unit_price": str(order.unit_price),
        "amount": str(order.amount),
        "status": order.status,
        "account": order.recharge_account or None,
        "confirm_deadline": order.confirm_deadline.isoformat() if order.confirm_deadline else None,
    }
    delivered = order.status in {Status.DELIVERED, Status.COMPLETED, Status.DISPUTED}
    if viewer is not None and delivered and not order.recharge_account:
        view["cards"] = [{"code": c, "secret": s} for c, s in reveal_cards(order, viewer)]
    return view


def escrow_held() -> Decimal:
    """What escrow must hold: the amounts of all orders in a holding state."""
    total = Order.objects.filter(status__in=HOLDING_ESCROW).aggregate(t=Sum("amount"))["t"]
    return total or ZERO
