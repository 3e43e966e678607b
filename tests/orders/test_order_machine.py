"""Random sequences of order operations; the books must stay sound after every step."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from kameng.errors import DomainError
from kameng.ledger import services as ledger
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import TRANSITIONS, Status
from kameng.stock.models import Card
from tests import factories
from tests.orders.helpers import assert_books_sound
from tests.risk.flow_helpers import _clean, tight_scenario

pytestmark = pytest.mark.django_db


def test_every_state_is_reachable_and_terminal_states_are_final():
    reachable = {Status.CREATED}
    frontier = [Status.CREATED]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(Status)
    assert TRANSITIONS[Status.COMPLETED] == TRANSITIONS[Status.REFUNDED] == frozenset()


class OrderMachine(RuleBasedStateMachine):
    placed = Bundle("orders")

    @initialize()
    def setup(self):
        # Each example runs in a savepoint rolled back at teardown: a clean world each time.
        self._example = transaction.atomic()
        self._example.__enter__()
        self.world = factories.World.build(cards=8, face="10.00", cost="9.00")
        # Risk control decides by quantity here: 1 allowed, 2 held for review, 3 blocked.
        _clean()
        tight_scenario()
        self.serial = 0
        self.start = ledger.balance(self.world.a3.wallet_id)

    def _attempt(self, action):
        """Run one operation in its own transaction; a refusal must change nothing."""
        try:
            with transaction.atomic():
                return action()
        except DomainError:
            return None

    @rule(target=placed, qty=st.integers(1, 3), storefront=st.booleans())
    def place(self, qty, storefront):
        self.serial += 1
        if storefront:
            result = self._attempt(
                lambda: orders.create_storefront_order(
                    seller=self.world.a2, sku_id=self.world.sku.pk, quantity=qty
                )
            )
        else:
            result = self._attempt(
                lambda: orders.place_order(
                    agent=self.world.a3,
                    sku_id=self.world.sku.pk,
                    quantity=qty,
                    out_trade_no=f"m{self.serial}",
                )
            )
        return result.order.order_no if result else "missing"

    @rule(order_no=placed)
    def pay(self, order_no):
        order = Order.objects.filter(order_no=order_no).first()
        if order is not None:
            self._attempt(
                lambda: orders.record_payment(
                    order_no=order_no, amount=order.amount, payment_ref=f"pay-{order_no}"
                )
            )

    @rule(order_no=placed)
    def confirm(self, order_no):
        self._attempt(lambda: orders.confirm_receipt(orders.get_order(order_no)))

    @rule(order_no=placed)
    def dispute(self, order_no):
        self._attempt(lambda: orders.open_dispute(orders.get_order(order_no), "bad code"))

    @rule(order_no=placed, upheld=st.booleans())
    def resolve(self, order_no, upheld):
        self._attempt(lambda: orders.resolve_dispute(orders.get_order(order_no), upheld=upheld))

    @rule(order_no=placed, approve=st.booleans())
    def decide_review(self, order_no, approve):
        def decide():
            order = orders.get_order(order_no)
            if approve:
                return orders.approve_review(order, by="machine")
            return orders.reject_review(order, by="machine", reason="looks stolen")

        self._attempt(decide)

    @rule(minutes=st.integers(0, 30))
    def payment_windows_pass(self, minutes):
        self._attempt(lambda: orders.expire_unpaid(now=timezone.now() + timedelta(minutes=minutes)))

    @rule(days=st.integers(0, 5))
    def time_passes(self, days):
        self._attempt(lambda: orders.release_due_escrow(now=timezone.now() + timedelta(days=days)))

    def teardown(self):
        if hasattr(self, "_example"):
            transaction.set_rollback(True)
            self._example.__exit__(None, None, None)

    @invariant()
    def books_are_sound(self):
        if not hasattr(self, "world"):
            return
        assert_books_sound()
        spent = self.start - ledger.balance(self.world.a3.wallet_id)
        held_or_spent = sum(
            (
                o.amount
                for o in Order.objects.filter(agent=self.world.a3).exclude(status=Status.REFUNDED)
            ),
            Decimal("0.00"),
        )
        assert spent == held_or_spent
        sold = Card.objects.exclude(status=Card.Status.AVAILABLE)
        assert sold.count() == sum(
            o.quantity for o in Order.objects.filter(cards__isnull=False).distinct()
        )
        # Codes are held only for orders awaiting payment or a risk review, and every such
        # order holds its own.
        held = Card.objects.filter(status=Card.Status.RESERVED)
        waiting = {Status.CREATED, Status.REVIEW}
        assert set(held.values_list("order__status", flat=True)) <= waiting
        awaiting = Order.objects.filter(status__in=waiting)
        assert held.count() == sum(o.quantity for o in awaiting)


TestOrderMachine = OrderMachine.TestCase
TestOrderMachine.settings = settings(
    max_examples=20,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
