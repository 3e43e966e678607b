from kameng.errors import Conflict, DomainError, InvalidInput


class NoCallbackUrl(Conflict):
    code = "no_callback_url"


class InvalidCallbackUrl(InvalidInput):
    """A callback_url Kameng will not send to: malformed, or not a public address."""

    code = "invalid_callback_url"


class ResendPending(Conflict):
    """One manual re-send per order at a time: the last one has not finished yet."""

    code = "resend_pending"


class ResendLimitReached(DomainError):
    code = "resend_limit"
    status = 429
