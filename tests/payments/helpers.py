"""Buying on a storefront and paying at the simulated gateway, as a buyer's browser
would: the signed form posted to submit.php, the 支付 button (sim.pay)."""

import time
from decimal import Decimal

import httpx

from kameng.ledger import services as ledger
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.payments import services as payments
from kameng.payments.gateways.epay import TRADE_SUCCESS, format_money, signed
from kameng.payments.models import GatewayConfig
from kameng.payments.simulator import PAID, SimTrade, SimulatedEpay
from tests import factories

BUYER_IP = "203.0.113.9"


def configure(sim: SimulatedEpay, *, types: str = "alipay,wxpay") -> GatewayConfig:
    return payments.configure_gateway(
        "epay", url=sim.url, pid=sim.config.pid, key=sim.config.key, types=types
    )


def shop_world(cards: int = 5) -> factories.World:
    """The usual chain; each code costs 90.00 and sells at the seller's retail price."""
    return factories.World.build(cards=cards)


def buy(world: factories.World, quantity: int = 1, **kwargs) -> Order:
    return orders.create_storefront_order(
        seller=world.a3, sku_id=world.sku.pk, quantity=quantity, **kwargs
    ).order


def to_gateway(sim: SimulatedEpay, order: Order, type: str = "alipay") -> SimTrade:
    """start_payment, then the buyer's browser posts its form to the gateway."""
    redirect = payments.start_payment(order, type=type, client_ip=BUYER_IP)
    page = httpx.post(redirect.url, data=redirect.fields, timeout=10)
    assert page.status_code == 200, page.text
    return sim.trade(order.order_no)


def notify_params(sim: SimulatedEpay, trade: SimTrade, *, key: str | None = None, **changes):
    """A notify for `trade` as the gateway signs it (with `key`, another key: forged)."""
    fields = {
        "pid": sim.config.pid,
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "type": trade.type,
        "name": trade.name,
        "money": format_money(trade.money),
        "trade_status": TRADE_SUCCESS,
        **changes,
    }
    return signed(fields, key or sim.config.key)


def send_notify(params: dict, *, method: str = "GET") -> httpx.Response:
    url = payments.notify_url("epay")
    if method == "POST":
        return httpx.post(url, data=params, timeout=10)
    return httpx.get(url, params=params, timeout=10)


def second_trade(sim: SimulatedEpay, first: SimTrade) -> SimTrade:
    """The buyer pays the same order again (a second cashier window): a new, paid trade
    for the same out_trade_no at the provider."""
    with sim.lock:
        trade_no = str(int(first.trade_no) + 1)
        trade = SimTrade(
            trade_no=trade_no,
            out_trade_no=first.out_trade_no,
            type=first.type,
            name=first.name,
            money=first.money,
            notify_url=first.notify_url,
            return_url=first.return_url,
            state=PAID,
        )
        sim.trades[trade_no] = trade
    return trade


def payments_balance() -> Decimal:
    """Money end users paid through gateways, less what went back (negative: paid in)."""
    return ledger.balance(ledger.system_account_id(ledger.PAYMENTS))


def wait_until(check, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout}s")
        time.sleep(0.02)


def fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)
