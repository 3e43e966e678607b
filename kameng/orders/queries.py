from decimal import Decimal

from django.db.models import Q, Sum

from kameng.agents.models import Agent
from kameng.ledger import services as ledger
from kameng.money import ZERO, to_money
from kameng.orders.models import Order
from kameng.orders.services import reveal_cards
from kameng.orders.states import HOLDING_ESCROW, Status


def order_view(order: Order, *, viewer: Agent | None = None) -> dict:
    """The order as its owner sees it (CLI, open API, webhooks): card codes and secrets
    once delivered, and only when the viewer is the owner."""
    view = {
        "order_no": order.order_no,
        "out_trade_no": order.out_trade_no,
        "sku_id": order.sku_id,
        "quantity": order.quantity,
        "unit_price": str(order.unit_price),
        "amount": str(order.amount),
        "status": order.status,
        "account": order.recharge_account or None,
        "created_at": order.created_at.isoformat(),
        "delivered_at": order.delivered_at.isoformat() if order.delivered_at else None,
        "confirm_deadline": order.confirm_deadline.isoformat() if order.confirm_deadline else None,
        "cards": [],
    }
    if viewer is not None and has_cards(order):
        view["cards"] = [{"code": c, "secret": s} for c, s in reveal_cards(order, viewer)]
    return view


def has_cards(order: Order) -> bool:
    """Whether the order's owner is shown card codes (a card order, delivered)."""
    delivered = order.status in {Status.DELIVERED, Status.COMPLETED, Status.DISPUTED}
    return delivered and not order.recharge_account


def escrow_held() -> Decimal:
    """What escrow must hold: the amounts of all orders in a holding state."""
    total = Order.objects.filter(status__in=HOLDING_ESCROW).aggregate(t=Sum("amount"))["t"]
    return total or ZERO


def agent_orders(
    agent: Agent, *, out_trade_no: str | None = None, status: str | None = None, limit: int = 50
) -> list[Order]:
    """The agent's own purchases (not its storefront's sales), newest first."""
    rows = Order.objects.filter(agent=agent, channel=Order.Channel.AGENT)
    if out_trade_no is not None:
        rows = rows.filter(out_trade_no=out_trade_no)
    if status is not None:
        rows = rows.filter(status=status)
    return list(rows.order_by("-pk")[:limit])


def recent_orders(
    *, agent: Agent | None = None, status: str | None = None, limit: int = 50
) -> list[Order]:
    """Orders newest first, of every agent or of one (all its channels): the
    operator's listing."""
    rows = Order.objects.select_related("agent__user")
    if agent is not None:
        rows = rows.filter(agent=agent)
    if status is not None:
        rows = rows.filter(status=status)
    return list(rows.order_by("-pk")[:limit])


def order_summary(order: Order) -> dict:
    """An order in a listing: what it is and where it stands, never its cards."""
    return {
        "order_no": order.order_no,
        "agent": order.agent.user.username,
        "channel": order.channel,
        "out_trade_no": order.out_trade_no,
        "sku_id": order.sku_id,
        "quantity": order.quantity,
        "amount": str(order.amount),
        "status": order.status,
        "account": order.recharge_account or None,
        "created_at": order.created_at.isoformat(),
    }


def balance_view(agent: Agent) -> dict:
    """Prepaid balance, what the agent's own purchases hold in escrow (refunded if they
    fail), and the spreads it will earn when orders below it are released."""
    in_escrow = Order.objects.filter(status__in=HOLDING_ESCROW)
    held = in_escrow.filter(agent=agent, channel=Order.Channel.AGENT).aggregate(t=Sum("amount"))
    wallet = str(agent.wallet_id)
    pending = sum(
        (
            Decimal(amount)
            for spreads in in_escrow.filter(
                Q(agent=agent) | Q(agent__path__startswith=f"{agent.path}/")
            ).values_list("spreads", flat=True)
            for account_id, amount in spreads
            if str(account_id) == wallet
        ),
        ZERO,
    )
    return {
        "currency": "CNY",
        "balance": str(to_money(ledger.balance(agent.wallet_id))),
        "held": str(to_money(held["t"] or ZERO)),
        "pending_earnings": str(to_money(pending)),
    }
