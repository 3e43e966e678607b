from kameng.errors import Conflict, DomainError, InvalidInput


class NoCallbackUrl(Conflict):
    code = "no_callback_url"
    title = "该订单没有回调地址"


class InvalidCallbackUrl(InvalidInput):
    """A callback_url Kameng will not send to: malformed, or not a public address."""

    code = "invalid_callback_url"
    title = "回调地址不可用（须为可访问的公网地址）"


class ResendPending(Conflict):
    """One manual re-send per order at a time: the last one has not finished yet."""

    code = "resend_pending"
    title = "上一次重发还未完成"


class ResendLimitReached(DomainError):
    code = "resend_limit"
    title = "今日重发次数已达上限"
    status = 429
