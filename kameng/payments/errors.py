"""Why a payment, a gateway's configuration, a notify or a refund was refused."""

from kameng.errors import Conflict, DomainError, InvalidInput, NotFound


class GatewayNotConfigured(DomainError):
    """No enabled gateway of that name (or offering that payment type): the buyer
    cannot pay now, nothing they did wrong."""

    code = "gateway_not_configured"
    title = "尚未配置支付网关"
    status = 503


class UnknownGatewayName(NotFound):
    code = "unknown_gateway"
    title = "没有这种支付网关"


class InvalidGatewayConfig(InvalidInput):
    """The operator's gateway settings are refused (wraps InvalidGatewayAccount: an
    empty or short key, a bad URL, an unknown payment type)."""

    code = "invalid_gateway_config"
    title = "支付网关配置不正确"


class PaymentTypeNotOffered(InvalidInput):
    code = "payment_type_not_offered"
    title = "不支持该支付方式"


class OrderNotPayable(Conflict):
    """Only a storefront order in its payment window may be sent to the gateway."""

    code = "order_not_payable"
    title = "订单不在待支付状态"


class PaymentUnavailable(DomainError):
    """The gateway cannot be used right now (unreachable, its key unreadable)."""

    code = "payment_unavailable"
    title = "支付暂不可用，请稍后再试"
    status = 503


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    title = "没有这笔支付"


class PaymentAlreadyPaid(Conflict):
    """The order's payment was made by another trade: the operator cannot confirm a
    second one for it."""

    code = "payment_already_paid"
    title = "该订单已由另一笔交易支付"


class TradeNoTaken(Conflict):
    """The gateway trade number already paid another order."""

    code = "trade_no_taken"
    title = "该交易号已用于另一笔订单"


class InvalidTradeNo(InvalidInput):
    code = "invalid_trade_no"
    title = "交易号格式不正确"


class RefundNotFound(NotFound):
    code = "refund_not_found"
    title = "没有这笔退款"


class RefundNotFailed(Conflict):
    code = "refund_not_failed"
    title = "只有失败的退款可以重试"


class OperatorNotFound(NotFound):
    code = "operator_not_found"
    title = "没有这个操作员"


class NotifyTooLarge(DomainError):
    code = "notify_too_large"
    title = "通知内容过大"
    status = 413


class MalformedNotify(InvalidInput):
    """Not a form-encoded list of UTF-8 parameters, or too many of them."""

    code = "malformed_notify"
    title = "通知格式不正确"


class NotifiesThrottled(DomainError):
    """This address sent too many notifies that failed: the rest of the window is
    answered 429 and not recorded. (A notify that verifies is still applied.)"""

    code = "rate_limited"
    title = "失败的通知过多，请稍后再试"
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed notifies from this address; retry after {retry_after} s")
        self.retry_after = retry_after
