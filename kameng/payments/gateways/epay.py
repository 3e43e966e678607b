"""易支付 (epay), MD5 version: the protocol every 易支付-compatible gateway accepts
(/work/shared/PROTOCOLS.md, "Payments").

Signature: the non-empty parameters except `sign` and `sign_type`, sorted by name,
joined `k=v` with `&` (raw values), the merchant key appended with no separator, the
lowercase hex MD5 of that. The query and refund calls carry the key itself (the
protocol's choice), and their answers are not signed: only TLS protects them, so give
the gateway's https URL. Anything we cannot read as the protocol's answer raises
GatewayUnreachable: the outcome is unknown, never a refusal.
"""

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from kameng import httpclient
from kameng.money import InvalidAmount, parse_money
from kameng.payments.gateways.base import (
    ApiPayment,
    ForgedNotify,
    GatewayRefused,
    GatewayUnreachable,
    Notify,
    PaymentGateway,
    PaymentRedirect,
    PaymentRequest,
    PaymentState,
    QueryResult,
    RefundResult,
    register,
)

SIGN_TYPE = "MD5"
TRADE_SUCCESS = "TRADE_SUCCESS"
# api.php act=order: status → state.
STATUSES = {0: PaymentState.UNPAID, 1: PaymentState.PAID, 2: PaymentState.REFUNDED}

# Bounds on what a notify may be: a real one has about ten short parameters.
MAX_NOTIFY_PARAMS = 40
MAX_NOTIFY_VALUE = 512
NOTIFY_REQUIRED = ("trade_no", "out_trade_no", "money", "trade_status")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PLAIN_AMOUNT = re.compile(r"[0-9]+(\.[0-9]{1,2})?")


def sign_content(params: Mapping[str, Any]) -> str:
    """`k1=v1&k2=v2…` over the non-empty parameters except sign/sign_type, sorted by
    name (code point order: ASCII for ASCII names, so "Z" < "a"); raw values."""
    items = sorted(
        (str(name), str(value))
        for name, value in params.items()
        if name not in ("sign", "sign_type") and value is not None and str(value) != ""
    )
    return "&".join(f"{name}={value}" for name, value in items)


def sign(params: Mapping[str, Any], key: str) -> str:
    """Lowercase hex MD5 of the sign content with the key appended. An empty key is
    refused: md5(content + "") is a signature anybody can make."""
    if not key:
        raise ValueError("an empty merchant key signs nothing")
    return hashlib.md5((sign_content(params) + key).encode("utf-8")).hexdigest()


def signed(params: Mapping[str, Any], key: str) -> dict[str, str]:
    """A copy of `params` (as strings) with `sign` and `sign_type=MD5` added."""
    fields = {
        str(name): str(value)
        for name, value in params.items()
        if name not in ("sign", "sign_type") and value is not None
    }
    fields["sign"] = sign(fields, key)
    fields["sign_type"] = SIGN_TYPE
    return fields


def verify(params: Mapping[str, Any], key: str) -> bool:
    """True if `params["sign"]` is right for `key`; constant-time; never with an empty
    key; never raises on garbage."""
    given = params.get("sign")
    if not key or not isinstance(given, str) or not given:
        return False
    try:
        expected = sign(params, key)
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(expected.encode(), given.lower().encode("utf-8", "replace"))


def format_money(amount: Decimal) -> str:
    """Yuan with two decimals, as the protocol sends money: "10.00"."""
    return f"{amount:.2f}"


HEADERS = {"User-Agent": "Kameng (epay)"}


def _int(value: Any) -> int | None:
    """A small integer as gateways send them (1 or "1"); None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,6}", value.strip()):
        return int(value)
    return None


def _code(answer: Mapping[str, Any]) -> int | None:
    """The answer's `code` (1 = success), None if it has none."""
    return _int(answer.get("code"))


def _text(answer: Mapping[str, Any], name: str) -> str:
    value = answer.get(name)
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


@register
class EpayGateway(PaymentGateway):
    name = "epay"
    label = "易支付"
    payment_types = frozenset({"alipay", "wxpay", "qqpay", "bank", "jdpay", "paypal"})

    # --- transport ---------------------------------------------------------------------

    def _url(self, path: str) -> str:
        """`path` under the account URL, which may or may not end in "/"."""
        return f"{self.account.url.rstrip('/')}/{path}"

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One server-to-server call; its JSON object with an integer code, or
        GatewayUnreachable."""
        url = self._url(path)
        try:
            response = httpclient.client().request(
                method,
                url,
                params=params,
                data=data,
                headers=HEADERS,
                timeout=self.timeout,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            raise GatewayUnreachable(f"{url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise GatewayUnreachable(f"{url}: HTTP {response.status_code}")
        try:
            answer = json.loads(response.content)
        except ValueError as exc:
            raise GatewayUnreachable(f"{url}: the answer is not JSON") from exc
        if not isinstance(answer, dict):
            raise GatewayUnreachable(f"{url}: the answer is not a JSON object")
        if _code(answer) is None:
            raise GatewayUnreachable(f"{url}: the answer has no code")
        return answer

    def _payment_fields(self, request: PaymentRequest) -> dict[str, str]:
        amount = self.check_request(request)
        fields = {
            "pid": self.account.pid,
            "type": request.type,
            "out_trade_no": request.out_trade_no,
            "notify_url": request.notify_url,
            "return_url": request.return_url,
            "name": request.name,
            "money": format_money(amount),
        }
        if request.sitename:
            fields["sitename"] = request.sitename
        if request.param:
            fields["param"] = request.param
        return fields

    # --- PaymentGateway ----------------------------------------------------------------

    def page_payment(self, request: PaymentRequest) -> PaymentRedirect:
        fields = signed(self._payment_fields(request), self.account.key)
        return PaymentRedirect(url=self._url("submit.php"), fields=fields)

    def api_payment(self, request: PaymentRequest) -> ApiPayment:
        fields = self._payment_fields(request)
        fields["clientip"] = request.client_ip
        if request.device:
            fields["device"] = request.device
        answer = self._call("POST", "mapi.php", data=signed(fields, self.account.key))
        if _code(answer) != 1:
            raise GatewayRefused(_text(answer, "msg") or f"code {answer.get('code')}")
        payment = ApiPayment(
            trade_no=_text(answer, "trade_no"),
            pay_url=_text(answer, "payurl"),
            qrcode=_text(answer, "qrcode"),
            urlscheme=_text(answer, "urlscheme"),
        )
        if not payment.trade_no or not (payment.pay_url or payment.qrcode or payment.urlscheme):
            raise GatewayUnreachable("mapi.php: success without a trade_no or a way to pay")
        return payment

    def verify_notify(self, params: Mapping[str, str]) -> Notify:
        # Bounded before anything is hashed: a notify is about ten short parameters.
        if len(params) > MAX_NOTIFY_PARAMS:
            raise ForgedNotify(f"more than {MAX_NOTIFY_PARAMS} parameters")
        for name, value in params.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise ForgedNotify("parameters must be strings")
            if len(name) > 64 or len(value) > MAX_NOTIFY_VALUE:
                raise ForgedNotify(f"parameter {name[:64]!r} is too long")
            if _CONTROL.search(name) or _CONTROL.search(value):
                raise ForgedNotify(f"parameter {name[:64]!r} has control characters")
        if not verify(params, self.account.key):
            raise ForgedNotify("signature does not verify")
        if params.get("pid") != self.account.pid:
            raise ForgedNotify(f"for another merchant: pid {params.get('pid')!r}")
        missing = [name for name in NOTIFY_REQUIRED if not params.get(name)]
        if missing:
            raise ForgedNotify(f"missing {', '.join(missing)}")
        money = params["money"]
        try:
            if not _PLAIN_AMOUNT.fullmatch(money):
                raise InvalidAmount(money)
            amount = parse_money(money)
        except InvalidAmount as exc:
            raise ForgedNotify(f"money is not an amount: {money!r}") from exc
        return Notify(
            trade_no=params["trade_no"],
            out_trade_no=params["out_trade_no"],
            type=params.get("type", ""),
            money=amount,
            paid=params["trade_status"] == TRADE_SUCCESS,
            param=params.get("param", ""),
            name=params.get("name", ""),
        )

    def query(self, out_trade_no: str) -> QueryResult:
        answer = self._call(
            "GET",
            "api.php",
            params={
                "act": "order",
                "pid": self.account.pid,
                "key": self.account.key,
                "out_trade_no": out_trade_no,
            },
        )
        if _code(answer) != 1:
            return QueryResult(found=False, state=PaymentState.UNPAID, out_trade_no=out_trade_no)
        answered_for = _text(answer, "out_trade_no")
        if answered_for and answered_for != out_trade_no:
            raise GatewayUnreachable(f"query {out_trade_no}: the answer is about {answered_for}")
        money: Decimal | None = None
        raw_money = answer.get("money")
        if raw_money not in (None, ""):
            try:
                money = parse_money(str(raw_money), allow_zero=True)
            except InvalidAmount as exc:
                raise GatewayUnreachable(f"query {out_trade_no}: money {raw_money!r}") from exc
        status = _int(answer.get("status"))
        state = PaymentState.UNKNOWN if status is None else STATUSES.get(status)
        return QueryResult(
            found=True,
            state=state or PaymentState.UNKNOWN,
            trade_no=_text(answer, "trade_no"),
            out_trade_no=out_trade_no,
            money=money,
            type=_text(answer, "type"),
        )

    def refund(self, *, out_trade_no: str, money: Decimal, trade_no: str = "") -> RefundResult:
        try:
            amount = parse_money(money)
        except InvalidAmount as exc:
            raise ValueError(f"refund amount: {exc}") from exc
        data = {
            "pid": self.account.pid,
            "key": self.account.key,
            "out_trade_no": out_trade_no,
            "money": format_money(amount),
        }
        if trade_no:
            data["trade_no"] = trade_no
        answer = self._call("POST", "api.php", params={"act": "refund"}, data=data)
        message = _text(answer, "msg")
        return RefundResult(ok=_code(answer) == 1, message=message)
