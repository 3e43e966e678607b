"""How the order commands print an order."""

from kameng.agents.models import Agent
from kameng.orders.models import Order
from kameng.orders.queries import has_cards, order_view


def order_output(order: Order, *, viewer: Agent | None) -> dict:
    """The order's JSON; without the buyer as viewer its codes are not shown, and the
    output says so rather than printing an empty list."""
    view = order_view(order, viewer=viewer)
    if viewer is None and has_cards(order):
        del view["cards"]
        view["cards_hidden"] = (
            f"card codes are shown to the buyer only: add --as {order.agent.user.username}"
        )
    return view
