from kameng.errors import Conflict, DomainError


class NoCallbackUrl(Conflict):
    code = "no_callback_url"
    title = "该订单没有回调地址"


class ResendPending(Conflict):
    """One manual re-send per order at a time: the last one has not finished yet."""

    code = "resend_pending"
    title = "上一次重发还未完成"


class ResendLimitReached(DomainError):
    code = "resend_limit"
    title = "今日重发次数已达上限"
    status = 429
