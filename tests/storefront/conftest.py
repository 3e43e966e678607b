import itertools
import secrets

import pytest

from kameng.payments import services as payments
from kameng.storefront import services
from tests import factories

_serial = itertools.count(1)


def fresh_ip() -> str:
    """An address no other test (or earlier run, on a shared Redis) has counted."""
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def fresh_email() -> str:
    return f"buyer{next(_serial)}-{secrets.token_hex(3)}@example.com"


def buy(shop, sku, **overrides):
    """A checkout with a contact and address of its own unless given."""
    fields = {
        "sku_id": sku.pk,
        "quantity": 1,
        "contact": fresh_email(),
        "payment_type": "alipay",
        "buyer_ip": fresh_ip(),
    }
    fields.update(overrides)
    return services.checkout(shop, **fields)


GATEWAY_KEY = "storefront-test-merchant-key-0123456789"


@pytest.fixture
def gateway(db):
    """The operator's epay account, offering 支付宝 and 微信支付 (nothing is sent to it
    here: checkout only asks which types are offered)."""
    return payments.configure_gateway(
        "epay", url="https://pay.example.com", pid="1001", key=GATEWAY_KEY, types="alipay,wxpay"
    )


@pytest.fixture
def shop(world, gateway):
    """agent3's shop: it pays 98.50 a unit, sells at face value 100.00."""
    return factories.storefront(world.a3, slug="shop-a3")


@pytest.fixture
def shop2(world, gateway):
    """agent2's shop: it pays 97.00 a unit, sells at 100.00."""
    return factories.storefront(world.a2, slug="shop-a2")
