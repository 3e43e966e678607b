"""The 易支付 MD5 rules, offline: signature vectors computed independently here, the
account checks (an empty or short key is refused), page-payment fields, and notify
verification refusing everything it cannot trust. No network, no database."""

import hashlib
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest

from kameng.payments.gateways import (
    REGISTRY,
    ForgedNotify,
    GatewayAccount,
    InvalidGatewayAccount,
    InvalidPaymentRequest,
    PaymentRequest,
    UnknownGateway,
    gateway_for,
)
from kameng.payments.gateways.epay import EpayGateway, sign, sign_content, signed, verify

KEY = "kameng-demo-epay-key-0123456789"
ACCOUNT = GatewayAccount("https://pay.example.com", "1001", KEY)


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


@pytest.fixture
def gateway() -> EpayGateway:
    return EpayGateway(ACCOUNT)


def request(**overrides) -> PaymentRequest:
    fields = {
        "out_trade_no": "K20261207000001",
        "amount": Decimal("10"),
        "name": "腾讯Q币 10元",
        "type": "alipay",
        "notify_url": "https://shop.example.com/pay/notify",
        "return_url": "https://shop.example.com/pay/return",
        **overrides,
    }
    return PaymentRequest(**fields)


def notify(**overrides) -> dict[str, str]:
    fields = {
        "pid": "1001",
        "trade_no": "2026120712345678901234",
        "out_trade_no": "K20261207000001",
        "type": "alipay",
        "name": "腾讯Q币 10元",
        "money": "10.00",
        "trade_status": "TRADE_SUCCESS",
        "param": "order=42",
        **overrides,
    }
    return signed({k: v for k, v in fields.items() if v is not None}, KEY)


# --- the signature ----------------------------------------------------------------------


def test_signature_vector_from_the_protocol_description():
    params = {
        "pid": "1001",
        "type": "alipay",
        "out_trade_no": "20160806151343349",
        "notify_url": "http://x/n",
        "return_url": "http://x/r",
        "name": "测试商品",
        "money": "1.00",
        "sitename": "站点",
        "param": "",  # empty: not signed
        "sign_type": "MD5",  # never signed
        "sign": "whatever",  # never signed
    }
    hashed = (
        "money=1.00&name=测试商品&notify_url=http://x/n&out_trade_no=20160806151343349"
        "&pid=1001&return_url=http://x/r&sitename=站点&type=alipay" + KEY
    )
    assert sign_content(params) + KEY == hashed
    assert sign(params, KEY) == md5(hashed)
    assert sign(params, KEY) == "50c46155db22afe8babe43e05a6cbe50"  # computed once, by hand


def test_raw_values_with_separators_are_signed_as_they_are():
    params = {
        "type": "wxpay",
        "trade_status": "TRADE_SUCCESS",
        "trade_no": "2026",
        "pid": "1001",
        "out_trade_no": "T1",
        "name": "a&b=c",  # not URL-encoded, not escaped
        "money": "10.00",
    }
    key = "0123456789abcdef0123456789abcdef"
    hashed = (
        "money=10.00&name=a&b=c&out_trade_no=T1&pid=1001&trade_no=2026"
        "&trade_status=TRADE_SUCCESS&type=wxpay" + key
    )
    assert sign(params, key) == md5(hashed) == "d6d052a7492f783c2aeb3eda5c3e83a1"


def test_names_sort_by_ascii_and_empty_values_are_left_out():
    params = {"a": "1", "Z": "2", "B": "3", "_": "4", "empty": "", "none": None, "zero": "0"}
    # ASCII: uppercase (65–90) < "_" (95) < lowercase (97–122); "0" is not empty.
    assert sign_content(params) == "B=3&Z=2&_=4&a=1&zero=0"
    assert sign(params, KEY) == md5("B=3&Z=2&_=4&a=1&zero=0" + KEY)


def test_signed_adds_sign_and_sign_type_and_verifies():
    fields = signed({"pid": "1001", "money": "1.00", "sign": "stale"}, KEY)
    assert fields["sign_type"] == "MD5"
    assert fields["sign"] == md5("money=1.00&pid=1001" + KEY)
    assert verify(fields, KEY)
    assert verify({**fields, "sign": fields["sign"].upper()}, KEY)
    assert verify({**fields, "sign_type": "RSA"}, KEY)  # not signed, so not checked here


@pytest.mark.parametrize(
    "change",
    [
        {"money": "1.01"},
        {"pid": "1002"},
        {"extra": "x"},
        {"sign": ""},
        {"sign": "0" * 32},
        {"sign": "签名" * 16},  # not ASCII: no exception, just False
    ],
)
def test_tampered_fields_do_not_verify(change):
    fields = signed({"pid": "1001", "money": "1.00"}, KEY)
    assert not verify({**fields, **change}, KEY)


def test_another_key_does_not_verify():
    fields = signed({"pid": "1001", "money": "1.00"}, KEY)
    assert not verify(fields, KEY + "x")
    assert not verify({k: v for k, v in fields.items() if k != "sign"}, KEY)


def test_an_empty_key_never_verifies_and_never_signs():
    params = {"pid": "1001", "money": "1.00"}
    forged = {**params, "sign": md5(sign_content(params))}  # md5(content + "")
    assert not verify(forged, "")
    with pytest.raises(ValueError):
        sign(params, "")
    with pytest.raises(InvalidGatewayAccount, match="empty"):
        EpayGateway(GatewayAccount("https://pay.example.com", "1001", ""))


# --- the account -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "why"),
    [
        (GatewayAccount("https://pay.example.com", "1001", ""), "empty"),
        (GatewayAccount("https://pay.example.com", "1001", "short-key-123"), "too short"),
        (GatewayAccount("https://pay.example.com", "1001", f" {KEY}"), "spaces"),
        (GatewayAccount("ftp://pay.example.com", "1001", KEY), "http or https"),
        (GatewayAccount("pay.example.com", "1001", KEY), "http or https"),
        (GatewayAccount("https://", "1001", KEY), "no host"),
        (GatewayAccount("https://pay.example.com:99999", "1001", KEY), "not a valid URL"),
        (GatewayAccount("https://pay.example.com/?x=1", "1001", KEY), "query"),
        (GatewayAccount("https://pay .example.com", "1001", KEY), "http or https"),
        (GatewayAccount("https://pay.example.com", "", KEY), "pid"),
        (GatewayAccount("https://pay.example.com", "10 01 ", KEY), "pid"),
        (GatewayAccount("https://pay.example.com", "1001", KEY, ("bitcoin",)), "unknown"),
        (GatewayAccount("https://pay.example.com", "1001", KEY, ()), "no payment type"),
    ],
)
def test_bad_accounts_are_refused(account, why):
    with pytest.raises(InvalidGatewayAccount, match=why):
        EpayGateway.check_account(account)
    with pytest.raises(InvalidGatewayAccount):
        gateway_for("epay", account)


def test_gateway_registry():
    assert REGISTRY["epay"] is EpayGateway
    gateway = gateway_for("epay", ACCOUNT, timeout=1.5)
    assert isinstance(gateway, EpayGateway)
    assert gateway.timeout == 1.5
    assert (EpayGateway.name, EpayGateway.label) == ("epay", "易支付")
    with pytest.raises(KeyError) as raised:
        gateway_for("nope", ACCOUNT)
    assert isinstance(raised.value, UnknownGateway)
    assert str(raised.value) == "unknown payment gateway 'nope'; known: epay"


# --- page payment --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "submit"),
    [
        ("https://pay.example.com", "https://pay.example.com/submit.php"),
        ("https://pay.example.com/", "https://pay.example.com/submit.php"),
        ("http://pay.example.com:8080/epay/", "http://pay.example.com:8080/epay/submit.php"),
    ],
)
def test_page_payment(url, submit):
    gateway = EpayGateway(GatewayAccount(url, "1001", KEY))
    redirect = gateway.page_payment(request(sitename="演示站", param="order=42"))
    assert redirect.url == submit
    assert redirect.method == "POST"
    fields = redirect.fields
    assert set(fields) == {
        *("pid", "type", "out_trade_no", "notify_url", "return_url", "name", "money"),
        *("sitename", "param", "sign", "sign_type"),
    }
    assert (fields["pid"], fields["money"], fields["type"]) == ("1001", "10.00", "alipay")
    assert fields["sign"] == md5(sign_content(fields) + KEY)
    assert fields["sign_type"] == "MD5"
    # The same as one GET URL: decoding its query gives the fields back.
    parts = urlsplit(redirect.get_url())
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == submit
    assert dict(parse_qsl(parts.query)) == fields


def test_page_payment_leaves_out_what_was_not_given(gateway):
    fields = gateway.page_payment(request(amount=Decimal("0.5"))).fields
    assert "sitename" not in fields and "param" not in fields
    assert fields["money"] == "0.50"


@pytest.mark.parametrize(
    "change",
    [
        {"amount": Decimal("0")},
        {"amount": Decimal("1.001")},
        {"amount": Decimal("-1")},
        {"amount": 1.5},
        {"type": "qqpay"},  # known to the protocol, not offered by this account
        {"out_trade_no": ""},
        {"out_trade_no": "K 1"},
        {"name": ""},
        {"name": "a\nb"},
        {"notify_url": "javascript:alert(1)"},
        {"return_url": ""},
        {"param": "x" * 256},
    ],
)
def test_page_payment_refuses_bad_requests(gateway, change):
    with pytest.raises(InvalidPaymentRequest):
        gateway.page_payment(request(**change))


# --- notify verification ----------------------------------------------------------------------


def test_a_genuine_notify(gateway):
    result = gateway.verify_notify(notify())
    assert result.paid
    assert result.money == Decimal("10.00")
    assert (result.trade_no, result.out_trade_no) == ("2026120712345678901234", "K20261207000001")
    assert (result.type, result.param, result.name) == ("alipay", "order=42", "腾讯Q币 10元")


def test_a_notify_that_is_not_success_is_not_paid(gateway):
    assert not gateway.verify_notify(notify(trade_status="WAIT_BUYER_PAY")).paid


def test_a_notify_without_optional_fields(gateway):
    result = gateway.verify_notify(notify(param=None, type=None, name=None))
    assert (result.param, result.type, result.name) == ("", "", "")


@pytest.mark.parametrize(
    "change",
    [
        {"money": "100.00"},
        {"out_trade_no": "K20261207000002"},
        {"trade_no": "2026120712345678901235"},
        {"trade_status": "TRADE_CLOSED"},
        {"sign_type": "MD5", "added": "1"},
    ],
)
def test_tampered_notifies_are_forged(gateway, change):
    with pytest.raises(ForgedNotify, match="signature"):
        gateway.verify_notify({**notify(), **change})


def test_a_notify_for_another_merchant_is_forged(gateway):
    # Signed correctly with our key, but naming another pid (or none).
    with pytest.raises(ForgedNotify, match="another merchant"):
        gateway.verify_notify(notify(pid="1002"))
    with pytest.raises(ForgedNotify, match="another merchant"):
        gateway.verify_notify(notify(pid=None))


def test_a_notify_signed_with_another_key_is_forged(gateway):
    fields = signed({k: v for k, v in notify().items()}, KEY + "-other")
    with pytest.raises(ForgedNotify):
        gateway.verify_notify(fields)


@pytest.mark.parametrize("missing", ["trade_no", "out_trade_no", "money", "trade_status"])
def test_a_notify_missing_a_field_is_forged(gateway, missing):
    with pytest.raises(ForgedNotify, match=f"missing {missing}"):
        gateway.verify_notify(notify(**{missing: None}))


@pytest.mark.parametrize(
    "money", ["1.001", "abc", "-1", "1e3", "0", "0.00", " 1.00", "+1", "1,000.00", "NaN", "１"]
)
def test_a_notify_whose_money_is_not_an_amount_is_forged(gateway, money):
    with pytest.raises(ForgedNotify, match="money"):
        gateway.verify_notify(notify(money=money))


@pytest.mark.parametrize("money", ["1", "1.5", "0.01", "9999.99"])
def test_plain_amounts_are_read(gateway, money):
    assert gateway.verify_notify(notify(money=money)).money == Decimal(money)


def test_notifies_are_bounded_before_anything_is_hashed(gateway):
    crowded = notify(**{f"x{i}": "1" for i in range(31)})  # 8 fields + 31 + sign, sign_type
    assert len(crowded) == 41
    with pytest.raises(ForgedNotify, match="more than 40"):
        gateway.verify_notify(crowded)
    with pytest.raises(ForgedNotify, match="too long"):
        gateway.verify_notify(notify(name="x" * 513))
    gateway.verify_notify(notify(name="x" * 512))
    for control in ("\x00", "\n", "\x1b", "\x7f", "\x85"):
        with pytest.raises(ForgedNotify, match="control"):
            gateway.verify_notify(notify(name=f"a{control}b"))
    with pytest.raises(ForgedNotify):
        gateway.verify_notify({**notify(), "money": 10})  # type: ignore[dict-item]
