"""How each kind of SKU reaches its buyer: one class per kind, named in FULFILMENT.

The order flow calls a SKU's fulfilment at fixed points (see `Fulfilment`) and does not
care how the goods move. Card codes come from stock, below orders, so their class is
here; a direct top-up is handed to suppliers by `kameng.topup`, which sits above orders
(it moves orders along as suppliers answer), so its class lives there and is named here
by path: orders imports nothing above it. Card codes bought from a docked upstream site
for each order (kameng.docking: `Sku.forwarded`) go the top-up's way, with codes back.
"""

from decimal import Decimal
from functools import cache
from typing import Protocol

from django.utils.module_loading import import_string

from kameng import vault
from kameng.catalog.models import Sku
from kameng.ledger.services import Line
from kameng.orders.errors import PriceBelowCost
from kameng.orders.models import Order
from kameng.stock import queries as stock_queries
from kameng.stock import services as stock

FORWARDED = "forwarded"
FULFILMENT: dict[str, str] = {
    Sku.Kind.CARD: "kameng.orders.fulfilment.CardStock",
    Sku.Kind.DIRECT: "kameng.topup.fulfilment.DirectTopup",
    FORWARDED: "kameng.topup.fulfilment.ForwardedCards",
}


class Fulfilment(Protocol):
    # Delivered inside the purchase's transaction (the order is `delivered` at once), or
    # later by someone else (the order waits in `delivering`).
    immediate: bool

    def prepare(self, sku: Sku, quantity: int, max_unit_cost: Decimal) -> object:
        """Before any money moves: who will deliver. Raises OutOfStock when nobody can."""

    def start(self, order: Order, prepared: object, now) -> None:
        """Inside the order's transaction, once its row exists: take the goods (those
        reserved for it first) or open the hand-over. Raising rolls the purchase back."""

    def reserve(self, order: Order, now) -> None:
        """Inside the transaction creating an order that awaits payment: hold its goods
        for the payment window, or at least check someone can deliver them. OutOfStock
        when nobody can: the order is not created."""

    def release(self, order: Order) -> None:
        """The payment window passed unpaid: what `reserve` held goes back."""

    def supplier_costs(self, order: Order) -> list[Line]:
        """(supplier payable account id, cost) owed when the order's escrow is released."""

    def withdraw(self, order: Order) -> None:
        """A dispute was upheld and the money goes back: the goods are void."""

    def availability(self, skus: list[tuple[Sku, Decimal]]) -> dict[int, tuple[bool, int | None]]:
        """For each (SKU, platform price): can one unit be had now, and how many are
        counted in stock (None: made to order)."""


def for_sku(sku: Sku) -> Fulfilment:
    return for_kind(kind_of(sku))


def kind_of(sku: Sku) -> str:
    """The FULFILMENT row of a SKU."""
    return FORWARDED if sku.forwarded else sku.kind


@cache
def for_kind(kind: str) -> Fulfilment:
    return import_string(FULFILMENT[kind])()


class CardStock:
    """Card codes from stock: taken in the order's own transaction (SKIP LOCKED)."""

    immediate = True

    def prepare(self, sku: Sku, quantity: int, max_unit_cost: Decimal) -> None:
        return None  # whether codes are left is known only when they are taken

    def start(self, order: Order, prepared: object, now) -> None:
        # An order that waited for payment or for a risk review may hold its codes already
        # (none if its window passed and they went back: then any still in stock).
        held = order.payment_deadline or order.held_for_review
        cards = stock.sell_reserved(order.pk, now) if held else []
        if len(cards) < order.quantity:
            cards += stock.allocate_cards(order.sku_id, order.quantity - len(cards), order.pk, now)
        cost = sum((card.cost for card in cards), Decimal(0))
        if cost > order.platform_gross:
            raise PriceBelowCost(
                f"supplier cost {cost} exceeds the platform price {order.platform_gross}"
            )
        # Codes nobody can decrypt (misconfigured keys) must not be sold: SecretUnreadable
        # rolls the order back before any money moves.
        for card in cards:
            vault.decrypt(card.secret_token, "the order's card codes")

    def reserve(self, order: Order, now) -> None:
        stock.allocate_cards(order.sku_id, order.quantity, order.pk, now, hold=True)

    def release(self, order: Order) -> None:
        stock.release_reserved(order.pk)

    def supplier_costs(self, order: Order) -> list[Line]:
        return stock_queries.supplier_costs(order.pk)

    def withdraw(self, order: Order) -> None:
        stock.invalidate_order_cards(order.pk)

    def availability(self, skus: list[tuple[Sku, Decimal]]) -> dict[int, tuple[bool, int | None]]:
        counts = stock_queries.cards_in_stock([sku.pk for sku, _ in skus])
        return {sku.pk: (counts.get(sku.pk, 0) > 0, counts.get(sku.pk, 0)) for sku, _ in skus}
