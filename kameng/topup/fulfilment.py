"""Direct top-ups as the order flow sees them (named in kameng.orders.fulfilment): a
supplier is chosen before money moves, the first attempt is opened in the order's
transaction and sent once it commits; the order waits in `delivering` until a supplier
answers (kameng.topup.services). Forwarded card orders (a docked site's codes) go the
same way: the upstream's answer carries the codes, stored as the order's cards."""

from decimal import Decimal

from kameng.catalog.models import Sku
from kameng.ledger.services import Line
from kameng.orders.models import Order
from kameng.stock import services as stock
from kameng.topup import queries
from kameng.topup.dispatch import first_route, open_attempt
from kameng.topup.routing import Route, routes


class DirectTopup:
    immediate = False

    def prepare(self, sku: Sku, quantity: int, max_unit_cost: Decimal) -> Route:
        return first_route(sku, quantity, max_unit_cost)

    def start(self, order: Order, prepared: object, now) -> None:
        assert isinstance(prepared, Route)
        open_attempt(order, prepared, 1, now)

    def reserve(self, order: Order, now) -> None:
        # Suppliers top up on demand: nothing to hold, but someone must be able to.
        first_route(order.sku, order.quantity, order.platform_unit_price)

    def release(self, order: Order) -> None:
        return None

    def supplier_costs(self, order: Order) -> list[Line]:
        return queries.supplier_costs(order.pk)

    def withdraw(self, order: Order) -> None:
        return None  # a top-up cannot be taken back; the refund is the operator's call

    def availability(self, skus: list[tuple[Sku, Decimal]]) -> dict[int, tuple[bool, int | None]]:
        # Suppliers top up on demand: "in stock" = one can take a unit now.
        return {sku.pk: (bool(routes(sku.pk, 1, top_price)), None) for sku, top_price in skus}


class ForwardedCards(DirectTopup):
    """Card codes bought from an upstream site (kameng-v1) for each order."""

    def withdraw(self, order: Order) -> None:
        stock.invalidate_order_cards(order.pk)  # an upheld complaint: its codes are void
