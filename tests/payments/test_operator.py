"""The operator's side: the gateway's settings (the key refused when empty or short,
never shown back), starting a payment (what is refused), 确认收款 for a payment the
gateway never reported (once, idempotent, recorded; CLI and admin), 重试退款, and the
poller's back-off. In-process: no gateway is reached here."""

import json
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from kameng import vault
from kameng.orders import services as orders
from kameng.orders.states import Status
from kameng.payments import services as payments
from kameng.payments.errors import (
    GatewayNotConfigured,
    InvalidGatewayConfig,
    OrderNotPayable,
    PaymentTypeNotOffered,
)
from kameng.payments.gateways.epay import verify
from kameng.payments.models import GatewayConfig, GatewayEvent, Payment, Refund
from kameng.payments.states import PaymentStatus, RefundStatus
from kameng.stock.models import Card
from tests.orders.helpers import assert_books_sound
from tests.payments.helpers import BUYER_IP, buy, fresh, payments_balance, shop_world
from tests.test_cli import KAMENG, ROOT, embedded_env

pytestmark = pytest.mark.django_db

KEY = "merchant-key-0123456789abcdef"
URL = "https://pay.example.com"


@pytest.fixture
def world():
    return shop_world(cards=3)


@pytest.fixture
def gateway_set():
    return payments.configure_gateway("epay", url=URL, pid="1001", key=KEY, types="alipay,wxpay")


@pytest.fixture
def op(django_user_model):
    return django_user_model.objects.create_user("op", password="pw", is_staff=True)


# --- the gateway's settings -------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "the merchant key is empty: anybody could sign for it"),
        ("short-key", "the merchant key is too short (9 characters, at least 16)"),
        (" " + KEY, "the merchant key has spaces at its ends"),
    ],
)
def test_an_empty_or_short_key_is_refused_and_nothing_is_stored(key, message):
    with pytest.raises(CommandError) as refused:
        call_command("payment_gateway", "set", "epay", "--url", URL, "--pid", "1", "--key", key)
    assert str(refused.value).startswith(f"invalid_gateway_config: {message}")
    assert not GatewayConfig.objects.exists()


def test_the_installed_command_refuses_an_empty_key_with_exit_status_1(tmp_path):
    done = subprocess.run(
        [KAMENG, "payment-gateway", "set", "epay", "--url", URL, "--pid", "1", "--key", ""],
        cwd=ROOT,
        env=embedded_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "CommandError: invalid_gateway_config: the merchant key is empty: anybody could sign for it"
    )


def test_the_key_is_stored_encrypted_and_never_shown(capsys):
    call_command(
        "payment_gateway", "set", "epay", "--url", URL, "--pid", "1001", "--key", KEY,
        "--types", "alipay,wxpay,qqpay",
    )  # fmt: skip
    shown_on_set = capsys.readouterr().out
    call_command("payment_gateway", "show", "--json")
    shown = capsys.readouterr().out
    for text in (shown_on_set, shown):
        assert KEY not in text
    [config] = json.loads(shown)
    assert config == {
        **config,
        "name": "epay",
        "url": URL,
        "pid": "1001",
        "types": ["alipay", "wxpay", "qqpay"],
        "key": "set",
        "enabled": True,
    }
    stored = GatewayConfig.objects.get()
    assert KEY not in stored.key_encrypted and vault.decrypt(stored.key_encrypted) == KEY
    assert payments.offered_types() == [
        ("alipay", "支付宝"),
        ("wxpay", "微信支付"),
        ("qqpay", "QQ钱包"),
    ]
    assert payments.gateway("epay").account.key == KEY


def test_unknown_gateways_and_payment_types_are_refused():
    with pytest.raises(CommandError, match="unknown_gateway: unknown payment gateway 'alipay'"):
        call_command("payment_gateway", "set", "alipay", "--url", URL, "--pid", "1", "--key", KEY)
    with pytest.raises(InvalidGatewayConfig, match="unknown payment types"):
        payments.configure_gateway("epay", url=URL, pid="1", key=KEY, types="alipay,bitcoin")
    with pytest.raises(InvalidGatewayConfig, match="must be an http or https URL"):
        payments.configure_gateway("epay", url="ftp://pay.example.com", pid="1", key=KEY)
    with pytest.raises(GatewayNotConfigured):
        payments.gateway("epay")


# --- starting a payment -----------------------------------------------------------------


def test_start_payment_signs_the_form_and_reuses_the_payment(world, gateway_set, settings):
    order = buy(world)
    redirect = payments.start_payment(order, type="alipay", client_ip=BUYER_IP)
    assert redirect.url == f"{URL}/submit.php" and verify(redirect.fields, KEY)
    fields = redirect.fields
    assert (fields["out_trade_no"], fields["money"], fields["type"]) == (
        order.order_no,
        "100.00",
        "alipay",
    )
    assert fields["notify_url"] == f"{settings.KAMENG_PUBLIC_URL}/pay/notify/epay/"
    assert fields["return_url"] == f"{settings.KAMENG_PUBLIC_URL}/pay/return/epay/"
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.PENDING and payment.amount == Decimal("100.00")
    assert payment.next_query_at == payment.created_at + timedelta(seconds=5)
    again = payments.start_payment(order, type="wxpay", client_ip=BUYER_IP)
    assert again.fields["type"] == "wxpay" and again.fields["out_trade_no"] == order.order_no
    assert Payment.objects.get().type == "wxpay"


def test_start_payment_refuses_what_cannot_be_paid(world, gateway_set):
    order = buy(world)
    with pytest.raises(PaymentTypeNotOffered):
        payments.start_payment(order, type="qqpay", client_ip=BUYER_IP)
    orders.expire_unpaid(now=timezone.now() + timedelta(minutes=16))
    with pytest.raises(OrderNotPayable):
        payments.start_payment(fresh(order), type="alipay", client_ip=BUYER_IP)
    bought = orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="a")
    with pytest.raises(OrderNotPayable):
        payments.start_payment(bought.order, type="alipay", client_ip=BUYER_IP)
    GatewayConfig.objects.update(enabled=False)
    with pytest.raises(GatewayNotConfigured):
        payments.start_payment(buy(world), type="alipay", client_ip=BUYER_IP)


def test_queries_back_off_then_every_half_hour_until_a_day_has_passed(settings):
    beat = settings.CELERY_BEAT_SCHEDULE["poll-unpaid-payments"]
    assert beat == {"task": "kameng.payments.tasks.poll_unpaid", "schedule": 5.0}
    created = timezone.now()
    at, gaps = created, []
    for queries in range(100):
        later = payments.query_after(created, queries, at)
        if later is None:
            break
        gaps.append((later - at).total_seconds())
        at = later
    assert gaps[:7] == [5, 15, 30, 60, 120, 300, 1800]
    assert set(gaps[6:]) == {1800}
    assert at <= created + timedelta(hours=24) < at + timedelta(seconds=1800)


# --- 确认收款 ---------------------------------------------------------------------------


def confirm(order, trade_no: str = "2026120700000001", reason: str = "seen in the console"):
    call_command(
        "confirm_payment", order.order_no, "--trade-no", trade_no, "--reason", reason,
        "--operator", "op", "--json",
    )  # fmt: skip


def test_the_operator_confirms_a_payment_once_and_again_changes_nothing(
    world, gateway_set, op, capsys
):
    order = buy(world)
    payments.start_payment(order, type="alipay", client_ip=BUYER_IP)
    confirm(order)
    shown = json.loads(capsys.readouterr().out)
    assert shown == {
        **shown,
        "order_no": order.order_no,
        "order_status": Status.DELIVERED,
        "status": PaymentStatus.PAID,
        "trade_no": "2026120700000001",
        "paid_via": "operator",
        "confirmed_by": "op",
        "confirm_reason": "seen in the console",
    }
    assert Card.objects.filter(order=order, status=Card.Status.SOLD).count() == 1
    assert payments_balance() == Decimal("-100.00")
    event = GatewayEvent.objects.get()
    assert (event.kind, event.outcome) == ("operator", GatewayEvent.Outcome.CONFIRMED)
    assert event.detail.startswith("confirmed by op: seen in the console")

    confirm(order)  # the same again: nothing changes
    assert json.loads(capsys.readouterr().out) == shown
    assert GatewayEvent.objects.count() == 1 and payments_balance() == Decimal("-100.00")
    with pytest.raises(CommandError, match="payment_already_paid"):
        confirm(order, trade_no="2026120700000002")
    assert_books_sound()


def test_confirming_needs_a_reason_a_staff_operator_and_a_trade_number(world, gateway_set, op):
    order = buy(world)
    with pytest.raises(CommandError, match="reason_required"):
        confirm(order, reason=" ")
    with pytest.raises(CommandError, match="invalid_trade_no"):
        confirm(order, trade_no="T 1")
    op.is_staff = False
    op.save()
    with pytest.raises(CommandError, match="operator_not_found"):
        confirm(order)
    op.is_staff = True
    op.save()
    with pytest.raises(CommandError, match="order_not_found"):
        call_command(
            "confirm_payment", "K404", "--trade-no", "T1", "--reason", "r", "--operator", "op"
        )
    assert fresh(order).status == Status.CREATED and not Payment.objects.exists()


def test_a_trade_number_that_paid_another_order_cannot_be_confirmed_again(world, gateway_set, op):
    first, second = buy(world), buy(world)
    payments.confirm_payment(first.order_no, trade_no="T1", operator=op, reason="console")
    with pytest.raises(CommandError, match="trade_no_taken"):
        confirm(second, trade_no="T1")
    assert fresh(second).status == Status.CREATED
    assert Payment.objects.get(order=second).status == PaymentStatus.PENDING


# --- the admin --------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, django_user_model):
    django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")
    client.login(username="boss", password="pw")
    return client


def test_the_gateway_page_takes_the_key_and_never_shows_it(admin_client):
    add = reverse("admin:payments_gatewayconfig_add")
    form = {"name": "epay", "url": URL, "pid": "1001", "payment_types": ["alipay"], "enabled": "on"}
    refused = admin_client.post(add, {**form, "key": "short"})
    assert refused.status_code == 200 and "支付网关配置不正确" in refused.content.decode()
    assert not GatewayConfig.objects.exists()
    assert admin_client.post(add, {**form, "key": KEY}).status_code == 302
    config = GatewayConfig.objects.get()
    change = reverse("admin:payments_gatewayconfig_change", args=[config.pk])
    # Blank keeps the key; the other settings change.
    saved = admin_client.post(change, {**form, "payment_types": ["alipay", "wxpay"], "key": ""})
    assert saved.status_code == 302
    config.refresh_from_db()
    assert config.type_list == ["alipay", "wxpay"]
    assert vault.decrypt(config.key_encrypted) == KEY
    for url in (change, reverse("admin:payments_gatewayconfig_changelist")):
        body = admin_client.get(url).content.decode()
        assert KEY not in body and config.key_encrypted not in body
    assert "已设置" in admin_client.get(change).content.decode()


def test_the_operator_confirms_a_payment_in_the_admin(world, gateway_set, admin_client):
    order = buy(world)
    payments.start_payment(order, type="alipay", client_ip=BUYER_IP)
    payment = Payment.objects.get()
    listing = reverse("admin:payments_payment_changelist")
    chosen = {"action": "confirm_payment", "_selected_action": [payment.pk]}
    page = reverse("admin:payments_payment_confirm", args=[payment.pk])
    assert admin_client.post(listing, chosen)["Location"] == page
    assert "确认收款" in admin_client.get(page).content.decode()
    refused = admin_client.post(page, {"trade_no": "T1", "reason": ""})
    assert refused.status_code == 200 and fresh(order).status == Status.CREATED
    done = admin_client.post(page, {"trade_no": "T1", "reason": "bank statement"})
    assert done.status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.confirmed_by.username) == (PaymentStatus.PAID, "boss")
    assert fresh(order).status == Status.DELIVERED
    assert admin_client.post(page, {"trade_no": "T1", "reason": "again"}).status_code == 302
    other = admin_client.post(page, {"trade_no": "T2", "reason": "again"})
    assert "payment_already_paid" in other.content.decode()
    assert payments_balance() == Decimal("-100.00")
    detail = admin_client.get(reverse("admin:payments_payment_change", args=[payment.pk]))
    assert detail.status_code == 200 and "人工确认收款" in detail.content.decode()
    assert KEY not in detail.content.decode()
    assert_books_sound()


def test_a_failed_refund_is_retried_from_the_admin(world, admin_client, op, settings):
    settings.KAMENG_PAYMENT_REFUND_RETRY_DELAYS = []  # unreachable once: failed
    payments.configure_gateway("epay", url="http://127.0.0.1:9", pid="1", key=KEY)
    order = buy(world)
    payments.confirm_payment(order.order_no, trade_no="T1", operator=op, reason="console")
    orders.open_dispute(fresh(order), "broken")
    orders.resolve_dispute(fresh(order), upheld=True, note="refund")
    refund = Refund.objects.get()
    payments.send_refund(refund)
    assert Refund.objects.get().status == RefundStatus.FAILED
    listing = reverse("admin:payments_refund_changelist")
    assert "退款失败" in admin_client.get(listing).content.decode()
    reply = admin_client.post(listing, {"action": "retry", "_selected_action": [refund.pk]})
    assert reply.status_code == 302
    refund.refresh_from_db()
    assert (refund.status, refund.tries) == (RefundStatus.PENDING, 0)
    assert GatewayEvent.objects.filter(outcome=GatewayEvent.Outcome.RETRIED).count() == 1
    for name in ("payment", "refund", "gatewayevent", "gatewayconfig"):
        body = admin_client.get(reverse(f"admin:payments_{name}_changelist")).content.decode()
        assert KEY not in body


def test_the_merchant_key_rotates_with_the_platforms_keys(gateway_set, settings):
    from cryptography.fernet import Fernet

    new_key = Fernet.generate_key().decode()
    settings.CARD_KEYS = [new_key, *settings.CARD_KEYS]
    report = {r.column: r for r in vault.rotate_all()}
    assert report["payments.GatewayConfig.key_encrypted"].re_encrypted == 1
    settings.CARD_KEYS = [new_key]  # the old key dropped: the gateway still signs
    assert payments.gateway("epay").account.key == KEY
