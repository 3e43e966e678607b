"""Key rotation as the README documents it (prepend a new key to KAMENG_CARD_KEYS, run
`kameng rotate-keys`, drop the old key), through the CLI, the open API and the live
top-up stack; an interrupted rotation; and the keys misconfigured (the old key dropped
without rotating): clear errors, nothing changed."""

import io
import json
import time
from decimal import Decimal

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.core.management.base import CommandError

from kameng.agents.models import ApiKey
from kameng.ledger.models import Journal
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.stock import services as stock_services
from kameng.stock.models import Card
from kameng.suppliers import services as suppliers
from kameng.suppliers.models import Supplier
from kameng.topup import services as topup
from kameng.topup.models import Attempt, Callback
from kameng.upstream import services as upstream
from kameng.upstream.adapters.kameng_http import signed
from kameng.vault import SecretUnreadable
from tests import factories
from tests.distributor import distributor_for
from tests.live import connect, wait_until

CARD = "stock.Card.secret_encrypted"
SUPPLIER = "suppliers.Supplier.api_secret_encrypted"
API_KEY = "agents.ApiKey.secret_encrypted"
GATEWAY = "payments.GatewayConfig.key_encrypted"  # rotated in tests/payments
NONE = {"re_encrypted": 0, "already_current": 0, "unreadable": 0}


def rotate_keys(*args: str, command: str = "rotate_keys") -> dict:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return json.loads(out.getvalue())


def tokens() -> dict[str, list[str]]:
    """Every stored token, per column, in primary-key order."""
    return {
        CARD: list(Card.objects.order_by("pk").values_list("secret_encrypted", flat=True)),
        SUPPLIER: list(
            Supplier.objects.exclude(api_secret_encrypted="")
            .order_by("pk")
            .values_list("api_secret_encrypted", flat=True)
        ),
        API_KEY: list(ApiKey.objects.order_by("pk").values_list("secret_encrypted", flat=True)),
    }


def only_under(key: str, token: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def test_the_documented_rotation_keeps_cards_api_keys_and_suppliers_working(
    direct_world, sims, settings
):
    world = direct_world
    sim = sims()
    source = connect(sim, world.direct)
    shop = distributor_for(world.a3)
    bought = shop.buy(world.sku.pk, "before-rotation", quantity=2)
    assert bought.status_code == 201
    old_key, new_key = settings.CARD_KEYS[0], Fernet.generate_key().decode()
    before = tokens()

    settings.CARD_KEYS = [new_key, old_key]  # 1. prepend a new key (every process)
    assert rotate_keys() == {  # 2. rotate
        CARD: {"re_encrypted": 20, "already_current": 0, "unreadable": 0},
        SUPPLIER: {"re_encrypted": 1, "already_current": 0, "unreadable": 0},
        API_KEY: {"re_encrypted": 1, "already_current": 0, "unreadable": 0},
        GATEWAY: NONE,
    }
    settings.CARD_KEYS = [new_key]  # 3. drop the old key

    after = tokens()
    for column, stored in after.items():
        assert len(stored) == len(before[column])
        assert all(only_under(new_key, t) and not only_under(old_key, t) for t in stored), column
    # The buyer still reads the codes it bought, over a signed request.
    order_no = bought.json()["order_no"]
    again = shop.call("GET", f"/api/v1/orders/{order_no}")
    assert again.status_code == 200
    assert again.json()["cards"] == bought.json()["cards"]
    # New signed requests work: a balance, a new order whose codes it can read.
    assert shop.call("GET", "/api/v1/balance").status_code == 200
    new_order = shop.buy(world.sku.pk, "after-rotation")
    assert new_order.status_code == 201 and len(new_order.json()["cards"]) == 1
    # The supplier: a top-up submit signed with the re-encrypted secret is accepted by
    # the simulator, and its signed callback verifies.
    placed = orders.place_order(
        agent=world.a3,
        sku_id=world.direct.pk,
        quantity=1,
        out_trade_no="topup-after-rotation",
        recharge_account="13800138000",
    ).order
    wait_until(lambda: Order.objects.get(pk=placed.pk).status == Status.DELIVERED)
    attempt = Attempt.objects.get(order=placed)
    assert attempt.supplier_id == source.pk and attempt.request_id in sim.orders
    wait_until(lambda: sim.orders[attempt.request_id].callbacks)
    assert sim.orders[attempt.request_id].callbacks[0][0] == 200
    assert Callback.objects.get(request_id=attempt.request_id).effect in {
        Callback.Effect.APPLIED,
        Callback.Effect.DUPLICATE,  # a status query got there first
    }
    # Rotating again finds nothing to do.
    assert rotate_keys()[CARD] == {"re_encrypted": 0, "already_current": 20, "unreadable": 0}


class CtrlC(io.StringIO):
    """The operator presses Ctrl-C as the first batch's progress line appears."""

    def write(self, text: str) -> int:
        raise KeyboardInterrupt


def test_an_interrupted_rotation_just_runs_again_and_continues(direct_world, settings):
    distributor_for(direct_world.a3)
    old_key, new_key = settings.CARD_KEYS[0], Fernet.generate_key().decode()
    settings.CARD_KEYS = [new_key, old_key]

    with pytest.raises(KeyboardInterrupt):
        call_command("rotate_keys", "--batch-size", "8", verbosity=2, stderr=CtrlC())
    cards = tokens()[CARD]
    # The first batch committed under the new key; the rest is still under the old one.
    assert [only_under(new_key, t) for t in cards] == [True] * 8 + [False] * 12
    assert all(only_under(old_key, t) for t in cards[8:])

    assert rotate_keys("--batch-size", "8") == {
        CARD: {"re_encrypted": 12, "already_current": 8, "unreadable": 0},
        SUPPLIER: {"re_encrypted": 0, "already_current": 0, "unreadable": 0},
        API_KEY: {"re_encrypted": 1, "already_current": 0, "unreadable": 0},
        GATEWAY: NONE,
    }
    assert all(only_under(new_key, t) for column in tokens().values() for t in column)


def test_the_old_command_name_rotates_every_column_too(world, settings):
    distributor_for(world.a3)
    settings.CARD_KEYS = [Fernet.generate_key().decode(), *settings.CARD_KEYS]
    report = rotate_keys(command="rotate_card_keys")
    assert report[API_KEY] == {"re_encrypted": 1, "already_current": 0, "unreadable": 0}
    assert report[CARD]["re_encrypted"] == 20


def test_rotation_goes_past_what_it_cannot_read_names_it_and_exits_1(world, settings):
    old_key = settings.CARD_KEYS[0]
    new_key, lost_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CARD_KEYS = [lost_key]
    stray = distributor_for(world.a2)  # its secret under a key that is since lost
    settings.CARD_KEYS = [old_key]
    shop = distributor_for(world.a3)
    stray_key = ApiKey.objects.get(app_key=stray.app_key)
    settings.CARD_KEYS = [new_key, old_key]

    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("rotate_keys", "--batch-size", "1", stdout=out)
    message = str(failed.value)
    assert message.startswith("secret_unreadable: ")
    assert f"{API_KEY} ids {stray_key.pk}." in message and CARD not in message
    # Everything else was rotated, the shop's key (after the stray one) included.
    assert json.loads(out.getvalue()) == {
        CARD: {"re_encrypted": 20, "already_current": 0, "unreadable": 0},
        SUPPLIER: {"re_encrypted": 0, "already_current": 0, "unreadable": 0},
        API_KEY: {"re_encrypted": 1, "already_current": 0, "unreadable": 1},
        GATEWAY: NONE,
    }
    assert only_under(new_key, ApiKey.objects.get(app_key=shop.app_key).secret_encrypted)
    assert ApiKey.objects.get(pk=stray_key.pk).secret_encrypted == stray_key.secret_encrypted


def test_dropping_the_old_key_without_rotating_gives_clear_errors_and_changes_nothing(
    direct_world, topup_settings
):
    settings = topup_settings
    world = direct_world
    shop = distributor_for(world.a3)
    bought = shop.buy(world.sku.pk, "before-misconfiguration").json()
    source = factories.supplier("速充")
    upstream.configure_api(
        source,
        adapter="kameng-http",
        base_url="http://127.0.0.1:9",
        merchant_id="m1",
        secret="supplier-secret",
    )
    suppliers.set_offer(source, world.direct, Decimal("45.00"), remote_sku="MOBILE-50")
    before = tokens()
    balance, stock = factories.wallet(world.a3), stock_services.available_stock(world.sku.pk)
    journals, order_count = Journal.objects.count(), Order.objects.count()

    settings.CARD_KEYS = [Fernet.generate_key().decode()]  # the old key dropped, no rotation

    # A signed API request whose key cannot be read: 503 JSON, not an HTML 500.
    answer = shop.call("GET", "/api/v1/balance")
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "secret_unreadable"
    assert "KAMENG_CARD_KEYS" in answer.json()["error"]["message"]
    # A card order whose codes cannot be decrypted rolls back: from the CLI...
    with pytest.raises(CommandError, match=r"^secret_unreadable: the order's card codes"):
        call_command(
            "place_order", agent="agent3", sku=world.sku.pk, out_trade_no="cli-misconfigured"
        )
    # ...and over the API with a key made since (its own secret readable, the codes not).
    fresh = distributor_for(world.a3)
    refused = fresh.buy(world.sku.pk, "api-misconfigured")
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "secret_unreadable"
    assert fresh.call("GET", f"/api/v1/orders/{bought['order_no']}").status_code == 503
    assert factories.wallet(world.a3) == balance
    assert stock_services.available_stock(world.sku.pk) == stock
    assert (Journal.objects.count(), Order.objects.count()) == (journals, order_count)
    # A supplier's genuine callback cannot be verified: recorded, answered 503 (retried).
    callback = signed(
        {
            "merchant_id": "m1",
            "out_order_no": "K1",
            "order_no": "S1",
            "state": 1,
            "timestamp": int(time.time()),
            "nonce": "0123456789abcdef",
        },
        "supplier-secret",
    )
    reply = httpx.post(topup.callback_url(source.pk), json=callback)
    assert reply.status_code == 503
    assert reply.json()["error"]["code"] == "secret_unreadable"
    recorded = Callback.objects.get(supplier=source)
    assert recorded.effect == Callback.Effect.UNVERIFIABLE
    assert f"supplier {source.pk}" in recorded.reason
    # Anything that talks to the supplier gets the same clear error (adapter_for).
    with pytest.raises(CommandError, match=r"^secret_unreadable: the API secret of supplier "):
        call_command("refresh_offers", stdout=io.StringIO())
    # Rotating cannot help either: it names what it cannot read, changes nothing, exits 1.
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^secret_unreadable: ") as failed:
        call_command("rotate_keys", stdout=out)
    for column in (CARD, SUPPLIER, API_KEY):
        assert column in str(failed.value)
    assert json.loads(out.getvalue())[CARD] == {
        "re_encrypted": 0,
        "already_current": 0,
        "unreadable": 20,
    }
    after = tokens()
    fresh_token = after[API_KEY].pop()  # the key made since is the one readable secret
    assert after == before and fresh_token not in before[API_KEY]


def test_a_storefront_payment_whose_codes_cannot_be_read_is_not_taken(world, settings):
    order = orders.create_storefront_order(seller=world.a3, sku_id=world.sku.pk, quantity=1).order
    stock, journals = stock_services.available_stock(world.sku.pk), Journal.objects.count()
    settings.CARD_KEYS = [Fernet.generate_key().decode()]  # the old key dropped, no rotation
    with pytest.raises(SecretUnreadable):  # the gateway's notify fails: it will retry
        orders.record_payment(order_no=order.order_no, amount=order.amount, payment_ref="p1")
    order.refresh_from_db()
    assert (order.status, order.payment_ref) == (Status.CREATED, None)
    assert stock_services.available_stock(world.sku.pk) == stock
    assert Journal.objects.count() == journals
