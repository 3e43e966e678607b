from kameng.errors import Conflict, DomainError, NotFound


class OrderNotFound(NotFound):
    code = "order_not_found"
    title = "没有这个订单"


class DuplicateOutTradeNo(Conflict):
    """The caller reused its order number for a different request."""

    code = "duplicate_out_trade_no"
    title = "外部订单号已用于另一笔订单"


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = "订单当前状态不允许此操作"


class NotInReview(Conflict):
    """An operator decided on an order that is not (or no longer) held by risk control:
    each held order is decided once."""

    code = "not_in_review"
    title = "订单不在待审核状态（可能已被处理）"


class PriceBelowCost(DomainError):
    """The chain's top price does not cover the supplier's cost: the operator must fix
    the level discounts before this SKU can sell."""

    code = "price_below_cost"
    title = "售价低于供货成本"
    status = 409


class ConfirmWindowClosed(Conflict):
    code = "confirm_window_closed"
    title = "确认收货期已过"


class PaymentMismatch(DomainError):
    code = "payment_mismatch"
    title = "支付金额与订单不符"
    status = 400


class InvalidRechargeAccount(DomainError):
    code = "invalid_account"
    title = "充值账号不正确"
    status = 400
