"""Why the supplier callback endpoint refused a request (each one recorded, unless its
address is over the limit of recorded failures)."""

from kameng.errors import Conflict, DomainError, InvalidInput, NotFound


class CallbackTooLarge(DomainError):
    code = "callback_too_large"
    title = "回调内容过大"
    status = 413


class BadCallbackBody(InvalidInput):
    """Not in the supplier protocol's format at all (not JSON, not a flat object)."""

    code = "malformed_callback"
    title = "回调格式不正确"


class CallbacksThrottled(DomainError):
    """This address sent too many callbacks that failed: further failures are not
    recorded until the window ends. (A callback that verifies is still applied.)"""

    code = "rate_limited"
    title = "失败的回调过多，请稍后再试"
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed callbacks from this address; retry after {retry_after} s"
        )
        self.retry_after = retry_after


class AttemptNotFound(NotFound):
    code = "attempt_not_found"
    title = "没有这条直充尝试"


class AttemptFinal(Conflict):
    """The attempt has succeeded or failed: nothing moves it again, not even the operator."""

    code = "attempt_final"
    title = "该直充已有最终结果，不能再处理"


class OperatorNotFound(NotFound):
    code = "operator_not_found"
    title = "没有这个操作员"
