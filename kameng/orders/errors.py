from kameng.errors import Conflict, DomainError, NotFound


class OrderNotFound(NotFound):
    code = "order_not_found"


class DuplicateOutTradeNo(Conflict):
    """The caller reused its order number for a different request."""

    code = "duplicate_out_trade_no"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class PriceBelowCost(DomainError):
    """The chain's top price does not cover the supplier's cost: the operator must fix
    the level discounts before this SKU can sell."""

    code = "price_below_cost"
    status = 409


class ConfirmWindowClosed(Conflict):
    code = "confirm_window_closed"


class PaymentMismatch(DomainError):
    code = "payment_mismatch"
    status = 400


class InvalidRechargeAccount(DomainError):
    code = "invalid_account"
    status = 400
